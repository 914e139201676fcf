"""jxc adapters: chat channels, the server, scheduled jobs and the command line, all calling core."""
