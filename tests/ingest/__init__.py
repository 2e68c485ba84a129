"""The ingestion: poller, mock sensor API, load generator and their parts."""
