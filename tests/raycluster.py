"""A real Ray cluster on this machine for the cluster tests: a head and a second node started by the
cluster utilities Ray ships for tests, each with one CPU, a small object store and no dashboard, so it
starts on a busy 2-core machine. The test process joins it as the driver, as `medbridge --ray ADDRESS`
would. The nodes listen on the machine's own address rather than 127.0.0.1: Ray turns a loopback cluster
address into that address when a driver joins."""

from __future__ import annotations

import os
import time

# Start-up waits sized for a loaded machine (Ray's defaults assume an idle one); set before Ray reads them.
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_raylet_start_wait_time_s", "180")
os.environ.setdefault("RAY_worker_register_timeout_seconds", "180")

import ray  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy  # noqa: E402

NODE = {"num_cpus": 1, "object_store_memory": 96 * 1024 * 1024}
# A lost node is noticed within ~20 s; a busy one is not taken for lost.
HEAD_CONFIG = {"health_check_initial_delay_ms": 0, "health_check_period_ms": 1000, "health_check_failure_threshold": 20}


class LocalRayCluster:
    def __init__(self) -> None:
        self.cluster = Cluster(initialize_head=True, head_node_args={**NODE, "include_dashboard": False, "_system_config": HEAD_CONFIG})
        self.worker = self.cluster.add_node(**NODE)
        self.cluster.wait_for_nodes()
        self.address = self.cluster.address

    def wait_until_every_node_takes_work(self) -> None:
        """Run a task pinned to each live node: a node the head has only just heard of is not yet offered
        work (a shard meant for it would go elsewhere). Needs this process connected as a driver."""
        @ray.remote(num_cpus=0)
        def node_id() -> str:
            return ray.get_runtime_context().get_node_id()

        deadline = time.monotonic() + 180
        for node in self.node_ids():
            while True:
                try:
                    pinned = NodeAffinitySchedulingStrategy(node, soft=False)
                    assert ray.get(node_id.options(scheduling_strategy=pinned).remote(), timeout=60) == node
                    break
                except (ray.exceptions.RayError, AssertionError):
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(1)

    def node_ids(self) -> set[str]:
        return {node["NodeID"] for node in ray.nodes() if node["Alive"]}

    def lose_worker(self) -> str:
        """Kill the second node's processes at once (no graceful exit); returns its node id."""
        lost = self.worker.node_id
        self.cluster.remove_node(self.worker, allow_graceful=False)
        deadline = time.monotonic() + 120
        while lost in self.node_ids():
            if time.monotonic() > deadline:
                raise TimeoutError("Ray did not notice the lost node within 120 s")
            time.sleep(0.5)
        return lost

    def replace_worker(self) -> None:
        """A fresh second node, as an operator would add after losing one."""
        self.worker = self.cluster.add_node(**NODE)
        self.cluster.wait_for_nodes()
        self.wait_until_every_node_takes_work()

    def shutdown(self) -> None:
        ray.shutdown()
        self.cluster.shutdown()
