"""``faultdesk demo``: the collector, a mail catcher, a real agent and a simulated fleet in one
command, for a newcomer to watch faults happen, get the mail and acknowledge from it."""
