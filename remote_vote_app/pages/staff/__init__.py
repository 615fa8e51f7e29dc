"""Staff pages, one module per page; `layout` holds what they share."""
