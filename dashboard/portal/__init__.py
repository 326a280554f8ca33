"""The customers' portal under ``/portal/``: their own hosts, faults, tickets and contract.

Every page is wrapped by ``require_customer`` and reads through
``collector.operations.customer_scope``, which narrows every query to the session's customer;
an id from the URL that is not theirs answers 404, the same as one that does not exist.
"""
