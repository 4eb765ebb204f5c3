"""What running the bot takes, below any feature: configuration and the command's manifest (each read once,
validated), JSON logs and request ids, Prometheus metrics, the per-user rate limit.

May import: ``bot.core``.
"""
