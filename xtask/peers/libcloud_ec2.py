"""A peer for `cargo xtask bench compute`: N nodes created, waited until running and destroyed through
Apache Libcloud's EC2 driver, with 8 threads (the recipe of Libcloud's docs: one driver per thread,
since drivers are not thread safe) and its best create: 100 nodes per call (`ex_mincount`/`ex_maxcount`),
as ours. Its wait lists every node (it has no filter by id) and it terminates one node per call.

Usage: python libcloud_ec2.py N ENDPOINT
Prints one row in the format of `bench-compute`.
"""
import collections
import concurrent.futures
import resource
import sys
import threading
import time
from urllib.parse import urlparse

import libcloud.compute.drivers.ec2 as ec2
from libcloud.compute.base import NodeImage, NodeSize
from libcloud.compute.providers import get_driver
from libcloud.compute.types import NodeState, Provider

THREADS = 8
BATCH = 100
# Longer than ours needs by far; a driver that cannot see its nodes running gives up here.
WAIT_TIMEOUT = 120

total, endpoint = int(sys.argv[1]), sys.argv[2]
url = urlparse(endpoint)
local = threading.local()
lock = threading.Lock()
actions = collections.Counter()

# moto answers in the 2016-11-15 namespace without the trailing slash Libcloud expects.
ec2.NAMESPACE = ec2.NAMESPACE.rstrip("/")


def driver():
    if not hasattr(local, "driver"):
        cls = get_driver(Provider.EC2)
        d = cls("AKIABENCH", "bench-secret", secure=False, host=url.hostname, port=url.port,
                region="us-east-1", signature_version="4")
        request = d.connection.request

        def counted(action, params=None, *args, **kwargs):
            with lock:
                actions[(params or {}).get("Action", "?")] += 1
            return request(action, params, *args, **kwargs)

        d.connection.request = counted
        local.driver = d
    return local.driver


def usage():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_maxrss


cpu0, _ = usage()
start = time.monotonic()
failure = ""
nodes = []
try:
    image = NodeImage(id=driver().list_images()[0].id, name=None, driver=driver())
    size = NodeSize(id="t2.micro", name="t2.micro", ram=None, disk=None, bandwidth=None, price=None,
                    driver=driver())
    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        batches = [min(BATCH, total - b) for b in range(0, total, BATCH)]
        for created in pool.map(
                lambda i: driver().create_node(name=f"bench-{i}", size=size, image=image,
                                               ex_mincount=batches[i], ex_maxcount=batches[i]),
                range(len(batches))):
            nodes.extend(created if isinstance(created, list) else [created])
    try:
        driver().wait_until_running(nodes, wait_period=1, timeout=WAIT_TIMEOUT)
    except Exception as e:  # Libcloud raises a bare LibcloudError on timeout
        failure = f" (wait failed: {getattr(e, 'value', e)})"
    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(lambda n: driver().destroy_node(n), nodes))
except Exception as e:
    failure = f" (failed: {type(e).__name__}: {str(e)[:60]})"
wall = time.monotonic() - start
cpu1, rss = usage()
requests = sum(v for k, v in actions.items() if k in ("RunInstances", "DescribeInstances", "TerminateInstances"))
print(f"{'libcloud':<10} {wall:>8.2f}s {requests:>10} {actions['RunInstances']:>16} "
      f"{actions['DescribeInstances']:>14} {cpu1 - cpu0:>9.2f}s {rss / 1024:>7.1f} MiB{failure}")
