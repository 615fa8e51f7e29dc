"""What the commission and the public read: statistics and open data, the dashboard, staff records
and exports, the landing page's data. May import: every layer below."""
