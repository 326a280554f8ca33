"""The people's tables: operators, customer users, their API tokens, sessions, password links,
sign-in failures and the audit log. Declared on ``collector.store.columns.metadata``, with the
rest of the schema (``collector.store.schema``)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
)

from collector.store.columns import UtcDateTime, metadata

operators = Table(
    "operators",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # "admin" (everything) or "operator" (everything but operators and tokens).
    Column("role", String(16), nullable=False, default="admin", server_default="admin"),
    # A TOTP secret (base32) once the operator turned on a second factor.
    Column("totp_secret", String(64), nullable=True),
    # The newest TOTP time step used to sign in: a code is accepted once, never again.
    Column("totp_last_step", BigInteger, nullable=True),
    # The IANA zone this operator reads times in; None: the vendor's (dashboard.timezone).
    Column("timezone", String(64), nullable=True),
)


def _token_table(name: str, owner_column: str, owners: str) -> Table:
    """Bearer tokens of one kind of account: only each token's SHA-256 is stored, the token
    itself is shown once."""
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column(owner_column, ForeignKey(f"{owners}.id", ondelete="CASCADE"), nullable=False),
        Column("name", String(100), nullable=False),
        Column("token_sha256", String(64), nullable=False, unique=True),
        Column("created_at", UtcDateTime, nullable=False),
    )


api_tokens = _token_table("api_tokens", "operator_id", "operators")


customer_users = Table(
    "customer_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False, default=""),
    # "customer-admin" (also manages its organisation's users and contacts) or "customer".
    Column("role", String(16), nullable=False),
    # None until the person sets a password through their emailed link.
    Column("password_hash", String(200), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_customer_users_customer", "customer_id"),
)

customer_api_tokens = _token_table("customer_api_tokens", "user_id", "customer_users")

sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # SHA-256 of the random session secret the cookie carries: a copied database holds none.
    Column("secret_sha256", String(64), nullable=False, unique=True),
    # "operator" or "customer": which table account_id points into.
    Column("account_kind", String(16), nullable=False),
    Column("account_id", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime, nullable=True),
    Column("address", String(64), nullable=False, default=""),
    Index("ix_sessions_account", "account_kind", "account_id"),
)

password_links = Table(
    "password_links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("user_id", ForeignKey("customer_users.id", ondelete="CASCADE"), nullable=False),
    # "invite" or "reset"
    Column("purpose", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    # The name typed, lower-cased: throttles an account whether or not it exists.
    Column("account", String(320), nullable=False),
    Column("address", String(64), nullable=False),
    Index("ix_login_failures_account", "account", "at"),
    Index("ix_login_failures_address", "address", "at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    # Who: "operator:olga", "customer:pat@acme.example", "link:pat@acme.example", or a name
    # typed at a failed login. Never a password or a token.
    Column("actor", String(400), nullable=False),
    # The customer whose data the action touched, or None for the vendor's own.
    Column("customer_id", String(64), nullable=True),
    Column("address", String(64), nullable=False, default=""),
    Column("action", String(64), nullable=False),
    Column("target", String(200), nullable=False, default=""),
    Column("detail", JSON, nullable=False),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_customer", "customer_id", "at"),
)
