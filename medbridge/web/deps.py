"""Typed dependencies, so route signatures read as contracts. Everything comes from the app's one
``Services`` (built by the app factory); the store and settings aliases are views of it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from medbridge.services import Services
from medbridge.settings import MedbridgeSettings
from medbridge.store import Store


def get_services(request: Request) -> Services:
    return request.app.state.services


def get_settings_dep(request: Request) -> MedbridgeSettings:
    return get_services(request).settings


def get_store_dep(request: Request) -> Store:
    return get_services(request).store


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[MedbridgeSettings, Depends(get_settings_dep)]
StoreDep = Annotated[Store, Depends(get_store_dep)]
