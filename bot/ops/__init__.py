"""What running the bot takes, below any feature: configuration (read once, validated), JSON logs and
request ids, Prometheus metrics, the per-user rate limit.

May import: ``bot.core``.
"""
