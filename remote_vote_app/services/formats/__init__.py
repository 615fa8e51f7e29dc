"""CSV and XLSX writers for staff exports (formula-like cells escaped). Imports nothing of services."""
