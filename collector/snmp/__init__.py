"""SNMP on the wire: notifications received (v1, v2c, v3 USM) and polls sent, through pysnmp.

Plain data out (``Notification``, ``PollAnswer``); what they mean is
``collector.domain.snmp_profiles``, and what they change is ``collector.engine.snmp_results``.
"""
