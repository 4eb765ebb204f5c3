"""mattermost-sessions-bot: manage Mattermost login sessions with the /sessions slash command."""
