"""Typed dependencies, so route signatures read as contracts."""

from __future__ import annotations

import threading
from typing import Annotated, Callable, TypeVar

from fastapi import Depends, Request

from medbridge.settings import MedbridgeSettings
from medbridge.store import Store


def get_settings_dep(request: Request) -> MedbridgeSettings:
    return request.app.state.settings


def get_store_dep(request: Request) -> Store:
    return request.app.state.store


T = TypeVar("T")
_services_lock = threading.Lock()


def app_service(request: Request, name: str, factory: Callable[[MedbridgeSettings, Store], T]) -> T:
    """One instance per app (a job runner, a translator with its loaded model), made on first use, so
    background threads and models are owned in one place."""
    state = request.app.state
    with _services_lock:
        service = getattr(state, name, None)
        if service is None:
            service = factory(state.settings, state.store)
            setattr(state, name, service)
        return service


SettingsDep = Annotated[MedbridgeSettings, Depends(get_settings_dep)]
StoreDep = Annotated[Store, Depends(get_store_dep)]
