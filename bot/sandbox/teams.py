"""Teams and roles in the stand-in (mixed into ``World``, sharing its lock and state): teams with their default
channels and team roles, and the role definitions with the permission checks of ``app/authorization.go``.
"""
from __future__ import annotations

from typing import Any

from . import authz
from .ids import is_valid_team_name, new_id
from .records import copied
from .roles import VIEW_MEMBERS

Record = dict[str, Any]

DEFAULT_CHANNELS = (("town-square", "Town Square"), ("off-topic", "Off-Topic"))
"""The channels every team is created with and every member joins (``model.DefaultChannelName`` first)."""


class TeamsAndRoles:
    """Teams, team membership roles, role definitions, and who may see whom (mixed into ``World``)."""

    def _create_team(self, name: str, display_name: str | None = None) -> Record:
        team: Record = {"id": new_id(self._rng), "name": name, "display_name": display_name or name.title()}
        self._teams[team["id"]] = team
        for channel_name, channel_display in DEFAULT_CHANNELS:
            self._add_default_channel(team["id"], channel_name, channel_display)
        return team

    def add_team(self, name: str, *, display_name: str | None = None, members: tuple[str, ...] = (),
                 admins: tuple[str, ...] = ()) -> Record:
        """Create another team with its default channels, join ``members`` to it and ``admins`` as team
        admins (usernames), and return it. ``ValueError`` for a name Mattermost refuses or one taken,
        ``KeyError`` for an unknown username."""
        with self._lock:
            if not is_valid_team_name(name) or name in (t["name"] for t in self._teams.values()):
                raise ValueError(f"team name {name!r} is invalid or taken")
            joining = [(self._user_named(u), False) for u in members] + [(self._user_named(u), True) for u in admins]
            team = self._create_team(name, display_name)
            for user, team_admin in joining:
                self._join_team(user, team["id"], team_admin)
            return dict(team)

    def teams(self) -> list[Record]:
        """Every team, oldest first."""
        with self._lock:
            return [dict(team) for team in self._teams.values()]

    def team_by_name(self, name: str) -> Record:
        """The team called ``name`` (``KeyError`` if there is none)."""
        with self._lock:
            for team in self._teams.values():
                if team["name"] == name:
                    return dict(team)
        raise KeyError(name)

    def team_by_id(self, team_id: str) -> Record | None:
        """The team with this id, or ``None``."""
        with self._lock:
            return copied(self._teams.get(team_id))

    def _team_roles(self, team_id: str, user_id: str) -> str | None:
        """The user's roles in the team, or ``None`` when they are not an active member."""
        member = self._team_members.get((team_id, user_id))
        return member["roles"] if member is not None and member["delete_at"] == 0 else None

    def has_team_permission(self, session: Record, team_id: str, permission: str) -> bool:
        """``SessionHasPermissionToTeam``: an empty team id grants nothing; then the caller's roles in the
        team, then their system roles (an unknown team is no obstacle for a system role)."""
        with self._lock:
            if not team_id:
                return False
            return authz.session_has_permission_to_team(session, self._team_roles(team_id, session["user_id"]),
                                                        permission, self._roles)

    # -- roles --

    def roles_by_names(self, names: list[str]) -> list[Record]:
        """The role records with these names, in request order, each once; unknown names are left out."""
        with self._lock:
            found = [self._roles[name] for name in dict.fromkeys(names) if name in self._roles]
            return copied(found)

    def role_by_id(self, role_id: str) -> Record | None:
        """The role record with this id, or ``None``."""
        with self._lock:
            for role in self._roles.values():
                if role["id"] == role_id:
                    return copied(role)
        return None

    def grant(self, role_name: str, *permissions: str) -> None:
        """Add permissions to a role, as editing it in the System Console does."""
        with self._lock:
            role = self._roles[role_name]
            role["permissions"].extend(p for p in permissions if p not in role["permissions"])
            role["update_at"] = self.now_ms()

    def revoke_permission(self, role_name: str, *permissions: str) -> None:
        """Remove permissions from a role."""
        with self._lock:
            role = self._roles[role_name]
            role["permissions"] = [p for p in role["permissions"] if p not in permissions]
            role["update_at"] = self.now_ms()

    def delete_role(self, role_name: str) -> None:
        """Mark a role deleted (``delete_at`` set): it then grants nothing."""
        with self._lock:
            self._roles[role_name]["delete_at"] = self.now_ms()

    def has_permission(self, session: Record, permission: str) -> bool:
        """``SessionHasPermissionTo`` against the current role definitions."""
        with self._lock:
            return authz.session_has_permission_to(session, permission, self._roles)

    def can_act_on_user(self, session: Record, target_user_id: str) -> bool:
        """``SessionHasPermissionToUser`` against the current roles and users."""
        with self._lock:
            return authz.session_has_permission_to_user(session, target_user_id, self._roles, self._users.get)

    def can_act_on_user_or_bot(self, session: Record, target_user_id: str) -> bool:
        """``SessionHasPermissionToUserOrBot`` against the current roles and users. The stand-in's bots are
        owned by no user of the world (like a bot made by a plugin), so acting on one takes ``manage_others_bots``."""
        with self._lock:
            return authz.session_has_permission_to_user_or_bot(
                session, target_user_id, self._roles, self._users.get,
                lambda user_id: "" if self._users.get(user_id, {}).get("is_bot") else None)

    # -- who sees whom --

    def sees_everyone(self, viewer_id: str) -> bool:
        """Whether the viewer's *user* roles grant ``view_members`` (``GetViewUsersRestrictions`` is nil)."""
        with self._lock:
            viewer = self._users.get(viewer_id)
            return viewer is not None and authz.roles_grant_permission(viewer["roles"].split(), VIEW_MEMBERS,
                                                                        self._roles)

    def can_see_user(self, viewer_id: str, target_id: str) -> bool:
        """``UserCanSeeOtherUser`` (``server/channels/app/user.go``): oneself; everyone when :meth:`sees_everyone`;
        otherwise (``GetViewUsersRestrictions``) the members of the teams where the viewer's *team* roles grant
        ``view_members``, and of every channel the viewer belongs to, direct and group messages included."""
        with self._lock:
            if viewer_id == target_id or self.sees_everyone(viewer_id):
                return True
            for member in self.team_members_of(viewer_id):
                if (authz.roles_grant_permission(member["roles"].split(), VIEW_MEMBERS, self._roles)
                        and self._team_roles(member["team_id"], target_id) is not None):
                    return True
            return any(viewer_id in members and target_id in members for members in self._channel_members.values())
