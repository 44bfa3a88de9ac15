"""Typed settings: environment (MEDBRIDGE_*, nested with ``__``) over ``MEDBRIDGE_HOME/config.toml`` over defaults.

Example: ``MEDBRIDGE_LLM__BACKEND=openai MEDBRIDGE_LLM__BASE_URL=http://127.0.0.1:8000/v1``.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from medbridge.errors import ConfigError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreSettings(_Section):
    backend: Literal["sqlite", "postgresql"] = Field(
        "sqlite", description="Store implementation: embedded SQLite, or a PostgreSQL server for many users.")
    sqlite_path: Path | None = Field(None, description="SQLite file; default MEDBRIDGE_HOME/medbridge.db.")
    dsn: str | None = Field(
        None, description="PostgreSQL connection string, e.g. postgresql://user:password@host:5432/medbridge.")
    pool_size: int = Field(
        10, ge=1, description="PostgreSQL connections each process keeps at most; more threads wait for one "
                              "(the server's max_connections must cover every process' pool).")


class IngestSettings(_Section):
    sample_on_first_run: bool = Field(True, description="Ingest the bundled sample corpus when the store is empty.")
    batch_size: int = Field(500, ge=1, description="Records written per database statement batch.")
    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1, ge=1,
        description="Processes parsing files in parallel while one writer stores them (1: parse in the writer).",
    )


class PubmedSourceSettings(_Section):
    """Where ``medbridge fetch`` (NCBI E-utilities) and ``medbridge sync`` (NLM's PubMed files) get records."""

    eutils_url: str = Field("https://eutils.ncbi.nlm.nih.gov/entrez/eutils/", description="E-utilities base URL (esearch.fcgi, efetch.fcgi).")
    api_key: str | None = Field(None, description="NCBI API key: 10 requests/s instead of 3.")
    email: str | None = Field(None, description="Contact address sent with every E-utilities request, as NCBI asks.")
    tool: str = Field("medbridge", description="Tool name sent with every E-utilities request.")
    efetch_batch: int = Field(500, ge=1, le=10_000, description="Records per efetch request (each batch is ingested as it arrives).")
    mirror_url: str = Field("https://ftp.ncbi.nlm.nih.gov/pubmed/", description="Folder holding baseline/ and updatefiles/: NLM, a local HTTP mirror or a file:// path.")
    download_limit_mb: float | None = Field(None, gt=0, description="Most megabytes the downloads folder may hold (default: the disk's free space).")
    timeout_s: float = Field(60.0, gt=0, description="Per-request timeout.")
    max_retries: int = Field(5, ge=0, description="Retries with exponential backoff on 429, 5xx and dropped connections.")
    backoff_s: float = Field(1.0, ge=0, description="First backoff delay; doubles with each retry.")


class SearchSettings(_Section):
    dense: bool = Field(True, description="Use the multilingual embedding model alongside BM25.")
    page_size: int = Field(20, ge=1, le=200, description="Hits per results page.")
    llm_rewrite: bool = Field(False, description="Also let the configured LLM rewrite natural-language questions into concepts.")
    # Measured on benchmarks/search_quality.py (docs/benchmarks.md): any weight in 0.15–0.4 beats BM25 alone
    # on nDCG@10 in both languages; 0.3 sits mid-plateau. The lexical side carries the recognised MeSH concepts.
    dense_weight: float = Field(
        0.3, ge=0, le=1,
        description="Share of the e5 similarity in the hybrid score; BM25 (scaled to the query's best match) gets the rest.",
    )
    dense_min_similarity: float = Field(
        0.80, ge=-1, lt=1,
        description="e5 cosine below which a vector neighbour is noise (they sit in 0.7–0.9); also the zero of its score.",
    )
    # Measured in benchmarks/search_speed.py (docs/benchmarks.md): below ~50k vectors a full scan takes a few
    # milliseconds and needs no graph build; above, the HNSW graph keeps dense search in milliseconds.
    ann_min_vectors: int = Field(
        50_000, ge=1,
        description="Vectors from which dense search uses the approximate (HNSW) index instead of scanning them all.",
    )
    shards: int = Field(
        1, ge=1, le=256,
        description="Lexical index shards (records partitioned by PMID), searched in parallel and built by one process each.",
    )
    build_processes: int | None = Field(
        None, ge=1, description="Processes building shards at once (default: one per core).",
    )


class LLMSettings(_Section):
    backend: Literal["local", "openai", "none"] = Field("local", description="local = llama-cpp-python GGUF; openai = any OpenAI-compatible endpoint.")
    model_path: Path | None = Field(None, description="GGUF file for the local backend; default is the embedded Qwen2.5-Coder-1.5B model.")
    n_ctx: int = Field(8192, ge=512, description="KV cache of the local backend, shared by the sequences it decodes together.")
    n_threads: int | None = Field(None, description="CPU threads for the local backend (default: all cores).")
    parallel: int = Field(
        16, ge=1, le=64,
        description="Requests generated together: sequences batched by the local backend, requests in flight to an endpoint.",
    )
    base_url: str = Field("http://127.0.0.1:8000/v1", description="OpenAI-compatible endpoint base URL.")
    model: str = Field("default", description="Model name sent to the OpenAI-compatible endpoint.")
    api_key: str | None = Field(None, description="Bearer key for the endpoint (or OPENAI_API_KEY).")
    timeout_s: float = Field(120.0, gt=0, description="Per-request timeout.")
    max_retries: int = Field(3, ge=0, description="Retries with exponential backoff on transient failures.")
    max_tokens: int = Field(1024, ge=1, description="Default generation budget per call.")
    temperature: float = Field(0.1, ge=0, le=2)


class TranslationSettings(_Section):
    default_target: str = Field("zh", description="Target language code for article pages.")
    max_retries: int = Field(1, ge=0, description="Stricter re-translations of a segment that fails QA.")


class DocumentSettings(_Section):
    max_file_mb: float = Field(100.0, gt=0, description="Largest upload accepted.")
    max_pages: int = Field(500, ge=1, description="Most pages/slides accepted.")
    max_uncompressed_mb: float = Field(500.0, gt=0, description="Zip-bomb guard for DOCX/PPTX.")


class ResearchSettings(_Section):
    max_sources: int = Field(20, ge=1, le=200, description="Records kept for a review.")
    # Below ~500 words the fixed structure (scope, theme intros, counts, the top records of every theme) no longer fits.
    max_words: int = Field(
        1500, ge=500, le=10_000,
        description="Longest review in words (Chinese counted as segmented words); the draft is trimmed to fit.",
    )


class JobSettings(_Section):
    run_in: Literal["serve", "workers"] = Field(
        "serve",
        description="serve = worker threads in each web process run queued jobs (single user, nothing to set up);"
                    " workers = only `medbridge worker` processes do (`serve --job-workers N` starts them).",
    )
    concurrency: int = Field(2, ge=1, le=64, description="Jobs one consumer (a web process or a worker) runs at once.")
    lease_s: float = Field(
        60.0, gt=0, description="A running job whose heartbeat is older than this was left by a dead worker and is resumed.")
    recover_every_s: float = Field(15.0, gt=0, description="How often consumers look for jobs left by dead workers.")


class WebSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)


class AuthSettings(_Section):
    """Who may use the web app and the JSON API (medbridge/accounts)."""

    mode: Literal["none", "local", "proxy"] = Field(
        "none", description="none = one person on this machine (loopback only); local = medbridge's own users and "
                            "passwords; proxy = the user name a trusted reverse proxy puts in proxy_header.")
    allow_remote_none: bool = Field(
        False, description="Serve mode none on a non-loopback address anyway (everyone who reaches it sees everything).")
    proxy_header: str = Field("X-Remote-User", description="Header carrying the signed-in user's name (mode proxy).")
    proxy_addresses: list[str] = Field(
        ["127.0.0.1", "::1"], description="Addresses or networks (CIDR) of the proxies whose header is believed.")
    session_secret: str | None = Field(
        None, description="Key signing session cookies; default: a random key kept in MEDBRIDGE_HOME/session.key.")
    session_hours: float = Field(12.0, gt=0, description="How long a sign-in lasts.")
    secure_cookie: bool = Field(False, description="Send the session cookie over HTTPS only (set it when served behind TLS).")


class LimitSettings(_Section):
    """Per-user limits on model work (translations, chat answers, research, documents) where accounts are on."""

    model_requests_per_minute: int = Field(30, ge=1, description="Model requests one user may start per minute.")
    jobs_per_day: int = Field(50, ge=1, description="Research and document jobs one user may start per 24 hours.")


class RaySettings(_Section):
    address: str | None = Field(
        None,
        description="Ray cluster to use (e.g. 10.0.0.5:6379; run medbridge on one of its nodes): lexical shards become Ray actors; embedding, file parsing and translate-corpus run on its nodes. Unset: this machine only.",
    )


def default_home() -> Path:
    return Path(os.environ.get("MEDBRIDGE_HOME") or Path.home() / ".medbridge").expanduser()


class _TomlSource(PydanticBaseSettingsSource):
    """Reads MEDBRIDGE_HOME/config.toml (or MEDBRIDGE_CONFIG) if present."""

    def get_field_value(self, field, field_name):  # pragma: no cover - required by the ABC, unused
        return None, field_name, False

    def __call__(self) -> dict:
        path = Path(os.environ.get("MEDBRIDGE_CONFIG") or default_home() / "config.toml")
        if not path.exists():
            return {}
        try:
            return tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from exc


class MedbridgeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEDBRIDGE_", env_nested_delimiter="__", extra="forbid")

    home: Path = Field(default_factory=default_home, description="Where all state lives.")
    store: StoreSettings = StoreSettings()
    ingest: IngestSettings = IngestSettings()
    search: SearchSettings = SearchSettings()
    pubmed: PubmedSourceSettings = PubmedSourceSettings()
    llm: LLMSettings = LLMSettings()
    translation: TranslationSettings = TranslationSettings()
    documents: DocumentSettings = DocumentSettings()
    research: ResearchSettings = ResearchSettings()
    web: WebSettings = WebSettings()
    jobs: JobSettings = JobSettings()
    auth: AuthSettings = AuthSettings()
    limits: LimitSettings = LimitSettings()
    ray: RaySettings = RaySettings()

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):
        return (init_settings, env_settings, _TomlSource(settings_cls))

    # Paths derived from home, so one variable relocates everything.
    @property
    def sqlite_path(self) -> Path:
        return self.store.sqlite_path or self.home / "medbridge.db"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def jobs_dir(self) -> Path:
        return self.home / "jobs"

    @property
    def downloads_dir(self) -> Path:
        return self.home / "downloads"

    def ensure_dirs(self) -> None:
        for path in (self.home, self.index_dir, self.models_dir, self.jobs_dir):
            path.mkdir(parents=True, exist_ok=True)


def load_settings(**overrides) -> MedbridgeSettings:
    try:
        return MedbridgeSettings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"setting {where}: {first['msg']}") from exc
