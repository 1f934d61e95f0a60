"""One module per ``digest`` subcommand; ``digest.cli`` assembles them into the command group.

Commands parse options, call one library function and print the result. ``_common`` holds what
they share: settings loading, progress bars, exit codes.
"""
