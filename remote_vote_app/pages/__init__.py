"""One module per page or page group; rendering only."""
