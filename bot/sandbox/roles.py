"""Mattermost's built-in roles with their default permissions.

Source: MM ``server/public/model/role.go`` (``MakeDefaultRoles``, the ``System*DefaultPermissions``
lists and ``SysconsoleAncillaryPermissions``) @018b5c347ed716b83241555753b35ebf4f610af1. The team
and channel scheme roles (``team_user``, ``channel_user``, ...) are abridged to the permissions a
check here can ask about; ``create_post`` is held through ``channel_user``/``channel_guest`` (a
channel membership), not by ``system_user``.

Personal access tokens: ``create_user_access_token``, ``read_user_access_token`` and
``revoke_user_access_token`` are held by ``system_user_access_token`` (the role the System Console's
"Allow this account to generate personal access tokens" assigns) and by ``system_admin``, and by no
other built-in role: ``system_user_manager``, ``system_manager`` and ``system_read_only_admin`` have
none of them, and no sysconsole permission grants them as an ancillary permission (``role.go``
``MakeDefaultRoles``, ``SysconsoleAncillaryPermissions``). Of the bot-management permissions that
decide whether someone may touch a *bot's* tokens (``SessionHasPermissionToManageBot``), only
``system_admin`` holds ``manage_bots``, ``manage_others_bots``, ``read_bots`` and ``read_others_bots``.

The permissions this project's checks depend on are exact: ``manage_system`` and
``edit_other_users`` are held only by ``system_admin``; ``system_user_manager``,
``system_manager`` and ``system_read_only_admin`` lack ``sysconsole_write_user_management_users``
and therefore ``edit_other_users``. The long ``sysconsole_*`` lists of the admin-console roles
are abridged, and ``system_admin`` (which really holds *every* permission) is given the union
of all permissions named here.
"""
from __future__ import annotations

import random
from typing import Any

from .ids import new_id

MANAGE_SYSTEM = "manage_system"
EDIT_OTHER_USERS = "edit_other_users"
VIEW_MEMBERS = "view_members"
WRITE_USERS_CONSOLE = "sysconsole_write_user_management_users"
CREATE_DIRECT_CHANNEL = "create_direct_channel"
CREATE_POST_EPHEMERAL = "create_post_ephemeral"
CREATE_POST = "create_post"
CREATE_POST_PUBLIC = "create_post_public"
READ_CHANNEL_CONTENT = "read_channel_content"
READ_CHANNEL = "read_channel"
READ_PUBLIC_CHANNEL = "read_public_channel"
VIEW_TEAM = "view_team"
MANAGE_SLASH_COMMANDS = "manage_slash_commands"
MANAGE_OTHERS_SLASH_COMMANDS = "manage_others_slash_commands"
CREATE_USER_ACCESS_TOKEN = "create_user_access_token"
READ_USER_ACCESS_TOKEN = "read_user_access_token"
REVOKE_USER_ACCESS_TOKEN = "revoke_user_access_token"
MANAGE_BOTS = "manage_bots"
MANAGE_OTHERS_BOTS = "manage_others_bots"
READ_BOTS = "read_bots"
READ_OTHERS_BOTS = "read_others_bots"

# What ticking a System Console section grants on top of the sysconsole permission itself.
ANCILLARY: dict[str, tuple[str, ...]] = {
    WRITE_USERS_CONSOLE: (EDIT_OTHER_USERS, "demote_to_guest", "promote_guest"),
    "sysconsole_read_user_management_users": ("read_other_users_teams",),
    "sysconsole_read_user_management_teams": ("list_private_teams", "list_public_teams", "view_team"),
    "sysconsole_read_user_management_channels": (
        "read_public_channel", "read_channel", "read_public_channel_groups", "read_private_channel_groups"),
    "sysconsole_write_user_management_teams": (
        "manage_team", "manage_team_roles", "remove_user_from_team", "join_private_teams",
        "join_public_teams", "add_user_to_team"),
    "sysconsole_write_user_management_channels": (
        "manage_public_channel_properties", "manage_private_channel_properties",
        "manage_private_channel_members", "manage_public_channel_members", "delete_private_channel",
        "delete_public_channel", "manage_channel_roles", "convert_public_channel_to_private",
        "convert_private_channel_to_public"),
    "sysconsole_write_user_management_groups": (
        "manage_private_channel_members", "manage_public_channel_members",
        "convert_public_channel_to_private", "convert_private_channel_to_public"),
    "sysconsole_read_authentication_ldap": ("test_ldap", "read_ldap_sync_job"),
    "sysconsole_read_reporting_site_statistics": ("get_analytics",),
    "sysconsole_read_reporting_server_logs": ("get_logs",),
}

_AUTHENTICATION_READ = tuple(
    f"sysconsole_read_authentication_{part}"
    for part in ("signup", "email", "password", "mfa", "ldap", "saml", "openid", "guest_access"))

_USER_MANAGER = (
    "sysconsole_read_user_management_groups", "sysconsole_read_user_management_teams",
    "sysconsole_read_user_management_channels", "sysconsole_read_user_management_permissions",
    "sysconsole_write_user_management_groups", "sysconsole_write_user_management_teams",
    "sysconsole_write_user_management_channels", *_AUTHENTICATION_READ,
)
_READ_ONLY_ADMIN = (  # abridged
    "sysconsole_read_about_edition_and_license", "sysconsole_read_reporting_site_statistics",
    "sysconsole_read_reporting_server_logs", "sysconsole_read_user_management_users",
    "sysconsole_read_user_management_groups", "sysconsole_read_user_management_teams",
    "sysconsole_read_user_management_channels", "sysconsole_read_user_management_permissions",
    "sysconsole_read_environment_web_server", "sysconsole_read_environment_session_lengths",
    *_AUTHENTICATION_READ, "sysconsole_read_plugins", "sysconsole_read_integrations_bot_accounts",
)
_MANAGER = (  # abridged
    "sysconsole_read_about_edition_and_license", "sysconsole_read_reporting_site_statistics",
    "sysconsole_read_reporting_server_logs", "sysconsole_read_user_management_groups",
    "sysconsole_read_user_management_teams", "sysconsole_read_user_management_channels",
    "sysconsole_read_user_management_permissions", "sysconsole_write_user_management_groups",
    "sysconsole_write_user_management_teams", "sysconsole_write_user_management_channels",
    "sysconsole_write_user_management_permissions", "sysconsole_read_environment_web_server",
    "sysconsole_write_environment_web_server", "sysconsole_read_environment_session_lengths",
    "sysconsole_write_environment_session_lengths", *_AUTHENTICATION_READ,
    "sysconsole_read_integrations_bot_accounts", "sysconsole_write_integrations_bot_accounts",
    "manage_outgoing_oauth_connections",
)

# name -> (display name key, scheme_managed, permissions); display names are i18n keys, as stored.
_DEFAULTS: dict[str, tuple[str, bool, tuple[str, ...]]] = {
    "system_guest": ("global_guest", True, (CREATE_DIRECT_CHANNEL, "create_group_channel")),
    "system_user": ("global_user", True, (
        "list_public_teams", "join_public_teams", CREATE_DIRECT_CHANNEL, "create_group_channel",
        VIEW_MEMBERS, "create_team", "create_custom_group", "edit_custom_group", "delete_custom_group",
        "restore_custom_group", "manage_custom_group_members", "manage_own_agent")),
    "system_post_all": ("system_post_all", False, (CREATE_POST, "use_channel_mentions")),
    "system_post_all_public": ("system_post_all_public", False, (CREATE_POST_PUBLIC, "use_channel_mentions")),
    "system_user_access_token": ("system_user_access_token", False, (
        CREATE_USER_ACCESS_TOKEN, READ_USER_ACCESS_TOKEN, REVOKE_USER_ACCESS_TOKEN)),
    "system_user_manager": ("system_user_manager", False, _USER_MANAGER),
    "system_read_only_admin": ("system_read_only_admin", False, _READ_ONLY_ADMIN),
    "system_manager": ("system_manager", False, _MANAGER),
    "system_custom_group_admin": ("system_custom_group_admin", False, (
        "create_custom_group", "edit_custom_group", "delete_custom_group", "restore_custom_group",
        "manage_custom_group_members")),
    "system_shared_channel_manager": ("system_shared_channel_manager", False, ("manage_shared_channels",)),
    # Team and channel scheme roles (abridged), held through team and channel memberships.
    "team_user": ("team_user", True, (
        "list_team_channels", "join_public_channels", READ_PUBLIC_CHANNEL, VIEW_TEAM,
        "create_public_channel", "create_private_channel", "invite_user", "add_user_to_team")),
    "team_guest": ("team_guest", True, (VIEW_TEAM,)),
    "team_admin": ("team_admin", True, (
        "edit_others_posts", "remove_user_from_team", "manage_team", "import_team", "manage_team_roles",
        "manage_channel_roles", MANAGE_SLASH_COMMANDS, MANAGE_OTHERS_SLASH_COMMANDS, "delete_post",
        "delete_others_posts")),
    "team_post_all": ("team_post_all", False, (CREATE_POST, "use_channel_mentions")),
    "team_post_all_public": ("team_post_all_public", False, (CREATE_POST_PUBLIC, "use_channel_mentions")),
    "channel_user": ("channel_user", True, (
        READ_CHANNEL, READ_CHANNEL_CONTENT, "add_reaction", "remove_reaction", "manage_public_channel_members",
        "upload_file", "get_public_link", CREATE_POST, "use_channel_mentions", "manage_private_channel_members",
        "delete_public_channel", "delete_private_channel", "manage_public_channel_properties",
        "manage_private_channel_properties")),
    "channel_guest": ("channel_guest", True, (
        READ_CHANNEL, READ_CHANNEL_CONTENT, "add_reaction", "remove_reaction", "upload_file", "edit_post",
        CREATE_POST, "use_channel_mentions")),
    "channel_admin": ("channel_admin", True, ("manage_channel_roles", "use_group_mentions")),
}

# Further permissions of system_admin that no other system role holds by default
# (a selection of the ~300 real ones).
_ADMIN_ONLY = (
    MANAGE_SYSTEM, EDIT_OTHER_USERS, WRITE_USERS_CONSOLE, CREATE_POST_EPHEMERAL, "manage_roles",
    MANAGE_BOTS, MANAGE_OTHERS_BOTS, READ_BOTS, READ_OTHERS_BOTS, "create_bot",
    "assign_bot", "manage_system_wide_oauth", "manage_oauth", "manage_jobs", "read_audits",
    "sysconsole_read_user_management_system_roles", "sysconsole_write_user_management_system_roles",
    MANAGE_SLASH_COMMANDS, MANAGE_OTHERS_SLASH_COMMANDS, "invite_guest",
)


def with_ancillary(permissions: tuple[str, ...]) -> list[str]:
    """Add the ancillary permissions of each sysconsole permission (``AddAncillaryPermissions``), deduplicated."""
    result: list[str] = []
    for permission in permissions:
        for item in (permission, *ANCILLARY.get(permission, ())):
            if item not in result:
                result.append(item)
    return result


def default_roles(rng: random.Random, now_ms: int) -> dict[str, dict[str, Any]]:
    """Build the built-in system roles as stored records, keyed by role name.

    Each record has the fields of ``model.Role``: ``id``, ``name``, ``display_name``,
    ``description``, ``create_at``, ``update_at``, ``delete_at``, ``permissions``,
    ``scheme_managed``, ``built_in`` and ``scheme_id``.
    """
    specs = {name: (label, managed, with_ancillary(perms)) for name, (label, managed, perms) in _DEFAULTS.items()}
    everything: list[str] = []
    for _label, _managed, perms in specs.values():
        everything.extend(p for p in perms if p not in everything)
    everything.extend(p for p in with_ancillary(_ADMIN_ONLY) if p not in everything)
    specs["system_admin"] = ("global_admin", True, everything)
    return {
        name: {
            "id": new_id(rng),
            "name": name,
            "display_name": f"authentication.roles.{label}.name",
            "description": f"authentication.roles.{label}.description",
            "create_at": now_ms,
            "update_at": now_ms,
            "delete_at": 0,
            "permissions": perms,
            "scheme_managed": managed,
            "built_in": True,
            "scheme_id": None,
        }
        for name, (label, managed, perms) in specs.items()
    }
