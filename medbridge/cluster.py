"""Work on a Ray cluster (``ray.address`` set, or ``--ray ADDRESS``); without one everything runs here.

- Shards as Ray actors: each ``Shard`` (medbridge.search.shards) runs as a named, detached actor spread over
  the nodes, holding its tantivy folder on its node. It outlives the process that created it, so
  ``medbridge index --ray`` fills the shards and a search process later finds the same actors by name. An
  actor whose node is lost is started again on a live node with an empty folder and says so (``lost``);
  the indexer's next update fills the shards again from the store's change feed.
- Embedding as Ray tasks: passages go out in chunks, one task per chunk, each worker keeping its e5 model
  between tasks. A task on a node that dies is run again elsewhere (Ray retries it), and the indexer saves
  vectors and the pending list after every batch, so a lost node or an interrupted run loses no work.
- Ingest: files are parsed by tasks on the nodes (the bytes travel, no shared disk); this process stays the
  one writer and stores them in file order.
- ``translate-corpus`` on model workers: one actor per node loads the model there and
  translates records sent to it; the cache entries come back to this process, which writes them to the
  store (the workers never open it), so a run interrupted anywhere resumes from what the store holds.

The driver (this process) always reads the store and writes the index state; the cluster does the work
that scales with the corpus.
"""

from __future__ import annotations

import shutil
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

import numpy as np

from medbridge.errors import ConfigError, MedbridgeError
from medbridge.search.dense import PASSAGES_PER_BATCH, embed_in_worker
from medbridge.search.shards import Shard
from medbridge.terms import Terminology

if TYPE_CHECKING:
    from medbridge.settings import MedbridgeSettings
    from medbridge.terms.base import GlossaryEntry

NAMESPACE = "medbridge"  # the detached shard actors are found by name within it
TASK_RETRIES = 3
SHARD_CONCURRENCY = 8  # a shard answers several searches at once (tantivy releases the GIL)
TASKS_PER_CPU = 2  # chunks in flight per CPU of the cluster: a slow node does not idle the others


def connect(address: str) -> None:
    """Join the cluster at ``address`` (``ray start --head`` prints it); once per process."""
    import ray

    if ray.is_initialized():
        return
    try:
        ray.init(address=address, namespace=NAMESPACE, log_to_driver=False, configure_logging=False)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise ConfigError(f"cannot join the Ray cluster at {address}: {str(exc).splitlines()[0]}") from exc


def cluster_cpus() -> int:
    import ray

    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def alive_nodes() -> list[str]:
    """Ids of the cluster's live nodes, in a stable order."""
    import ray

    return sorted(node["NodeID"] for node in ray.nodes() if node["Alive"])


def on_node(node_id: str, soft: bool = True):
    """Placement on that node (Ray's SPREAD is best effort); ``soft``: elsewhere when it is gone."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    return NodeAffinitySchedulingStrategy(node_id, soft=soft)


class ShardActor(Shard):
    """A shard held by a Ray actor, which outlives the process that created it. Started again after its node
    or process was lost, it starts from an empty folder (what the node holds there may be stale) and reports
    itself ``lost`` until the indexer fills the shards again from the start of the change feed."""

    def __init__(self, folder: Path, lost: bool = False):
        import ray

        self._lost = lost or ray.get_runtime_context().was_current_actor_reconstructed
        if self._lost:
            shutil.rmtree(folder, ignore_errors=True)
        # An actor's process has no Services; the terminology's derived data comes from the cache, so it is cheap.
        super().__init__(folder, Terminology.from_files())
        self._empty = self._lost or self.index.created_empty

    def created_empty(self) -> bool:
        return self._empty

    def lost(self) -> bool:
        return self._lost

    def apply(self, puts, deletes) -> None:
        super().apply(puts, deletes)
        self._empty = False

    def delete_all(self) -> None:
        """Also the start of a fill from the change feed: what was lost is being written again."""
        super().delete_all()
        self._lost = self._empty = False

    def node_id(self) -> str:
        import ray

        return ray.get_runtime_context().get_node_id()


class RayShards:
    """One ``ShardActor`` per shard, dealt round the nodes; ``call`` runs a method on all of them at once. A
    shard whose node died is started anew on a live node (``lost``), and the call goes to it."""

    def __init__(self, folder: Path, count: int):
        import ray

        self._actor = ray.remote(ShardActor)
        self._folder, self._count = folder, count
        nodes = alive_nodes()
        self.actors = [self._start(i, nodes[i % len(nodes)]) for i in range(count)]

    def _start(self, shard: int, node: str, lost: bool = False):
        """The shard's actor (found by name if it runs), pinned to ``node``: Ray's SPREAD and soft affinity
        are best effort, and two shards on one node halve the cluster's search and indexing capacity."""
        return self._actor.options(
            name=f"shard-{shard}-of-{self._count}:{self._folder}",
            get_if_exists=True, lifetime="detached",
            scheduling_strategy=on_node(node, soft=False),
            max_restarts=-1, max_task_retries=-1,  # a crashed process restarts in place; calls wait for it
            max_concurrency=SHARD_CONCURRENCY,
            num_cpus=0,  # a shard mostly waits for queries: it holds no CPU slot that tasks could use
        ).remote(self._folder / f"shard-{shard}", lost)

    def __len__(self) -> int:
        return len(self.actors)

    def call(self, method: str, args_per_shard: Sequence[tuple]) -> list:
        import ray
        from ray.exceptions import ActorDiedError, ActorUnschedulableError

        refs = [getattr(actor, method).remote(*args) for actor, args in zip(self.actors, args_per_shard)]
        results = []
        for shard, (ref, args) in enumerate(zip(refs, args_per_shard)):
            try:
                results.append(ray.get(ref))
            except (ActorDiedError, ActorUnschedulableError):  # its node is gone: the shard starts again, empty
                nodes = alive_nodes()
                self.actors[shard] = self._start(shard, nodes[shard % len(nodes)], lost=True)
                results.append(ray.get(getattr(self.actors[shard], method).remote(*args)))
        return results


class RayEmbedder:
    """``embed_passages`` over the cluster: one Ray task per chunk of passages, retried on a lost node."""

    def __init__(self, address: str):
        connect(address)
        import ray

        self._task = ray.remote(num_cpus=1, max_retries=TASK_RETRIES)(embed_in_worker)

    def batch_size(self) -> int:
        """Passages per indexer batch (saved after each): enough chunks to keep every CPU of the cluster busy."""
        return PASSAGES_PER_BATCH * TASKS_PER_CPU * cluster_cpus()

    def submit(self, texts: list[str]) -> list:
        """Start the tasks for ``texts``; their object references, in order."""
        return [self._task.remote(texts[i : i + PASSAGES_PER_BATCH]) for i in range(0, len(texts), PASSAGES_PER_BATCH)]

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        import ray

        return np.concatenate(ray.get(self.submit(texts)))


class RayFileParser:
    """PubMed files parsed by tasks spread over the cluster; each file's bytes travel with its task, so the
    nodes need no shared disk. A task on a lost node is run again elsewhere."""

    def __init__(self, address: str):
        connect(address)
        import ray

        from medbridge.corpus.ingest import parse_file_bytes

        self._task = ray.remote(num_cpus=1, max_retries=TASK_RETRIES)(parse_file_bytes)

    def slots(self) -> int:
        return cluster_cpus()

    def submit(self, path: Path) -> Future:
        """The file's items, msgpack-encoded, as ``_parse_encoded`` returns them; a bad file fails the future
        with the task's own error (``PubmedParseError``), not Ray's wrapper."""
        from ray.exceptions import RayError, RayTaskError

        parsed: Future = Future()

        def settle(done: Future) -> None:
            try:
                parsed.set_result(done.result())
            except RayTaskError as exc:
                parsed.set_exception(exc.cause)
            except RayError as exc:  # the task could not run at all (its retries spent): the file fails, saying why
                parsed.set_exception(MedbridgeError(f"{path}: not parsed on the Ray cluster: {str(exc).splitlines()[0]}"))

        self._task.remote(str(path), path.read_bytes()).future().add_done_callback(settle)
        return parsed


class TranslationWorker:
    """A model on one cluster worker, translating records' texts without a store: it hands back the cache
    entries (keyed by its own model id) for the driver to write."""

    def __init__(self, settings: MedbridgeSettings):
        from medbridge.services import Services

        self.translator = Services(settings).model_translator

    def translate(self, chunk: int, records: list[list[str]], target: str,
                  glossary: Sequence[GlossaryEntry] | None) -> tuple[int, list[tuple[list[tuple[str, str]], bool]]]:
        """``chunk`` and, per record, its (cache key, cache value) pairs and whether a passage is still flagged."""
        out = []
        for texts in records:
            results = self.translator.translate_batch(texts, source="en", target=target, glossary=glossary, markup=True)
            entries = self.translator.cache_entries(texts, results, source="en", target=target, glossary=glossary, markup=True)
            out.append((entries, any(r.flagged for r in results)))
        return chunk, out


def translate_on_cluster(settings: MedbridgeSettings, chunks: Iterable[list[list[str]]], total: int, target: str,
                         glossary: Sequence[GlossaryEntry] | None) -> Iterator[tuple[int, list[tuple[list[tuple[str, str]], bool]]]]:
    """Spread ``chunks`` (``total`` of them, each a list of records' texts) over model workers, one per node
    (a model uses all of its node's cores); yields each chunk's position and results as they finish. Only a
    few chunks per worker are read ahead; a chunk whose worker is lost runs again on a restarted one."""
    import ray
    from ray.util import ActorPool

    connect(settings.ray.address)
    actor = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=TASK_RETRIES)(TranslationWorker)
    workers = [actor.options(scheduling_strategy=on_node(node)).remote(settings) for node in alive_nodes()[: max(1, total)]]
    pool, jobs = ActorPool(workers), enumerate(chunks)

    def submit_next() -> None:
        job = next(jobs, None)
        if job is not None:
            pool.submit(lambda worker, job: worker.translate.remote(job[0], job[1], target, glossary), job)

    try:
        for _ in range(TASKS_PER_CPU * len(workers)):
            submit_next()
        while pool.has_next():
            yield pool.get_next_unordered()
            submit_next()
    finally:
        for worker in workers:  # each holds a model in memory
            ray.kill(worker)
