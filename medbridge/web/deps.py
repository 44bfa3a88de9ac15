"""Typed dependencies, so route signatures read as contracts."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from medbridge.settings import MedbridgeSettings
from medbridge.store import Store


def get_settings_dep(request: Request) -> MedbridgeSettings:
    return request.app.state.settings


def get_store_dep(request: Request) -> Store:
    return request.app.state.store


SettingsDep = Annotated[MedbridgeSettings, Depends(get_settings_dep)]
StoreDep = Annotated[Store, Depends(get_store_dep)]
