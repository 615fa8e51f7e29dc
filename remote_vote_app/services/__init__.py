"""Every rule of the service and all database access; plain Python, no Reflex import."""
