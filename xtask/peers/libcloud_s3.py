"""A peer for `cargo xtask bench s3`: the same workloads through Apache Libcloud's S3-compatible driver,
with 8 threads (the recipe of Libcloud's docs, one driver per thread since drivers are not thread safe).

Usage: python libcloud_s3.py WORKLOAD ENDPOINT
Prints `cpu_seconds wall_seconds ops errors peak_rss_kib`, or `skip` for a workload it cannot run.
"""
import concurrent.futures
import resource
import sys
import threading
import time
from urllib.parse import urlparse

from libcloud.storage.base import Container, Object
from libcloud.storage.providers import get_driver
from libcloud.storage.types import Provider

THREADS = 8
SMALL = b"\x01" * 1024
BIG = 1 << 30
OPS = {"put-1k": 2000, "get-1k": 2000, "head": 2000, "list": 50, "put-1g": 1, "get-1g": 1}

workload, endpoint = sys.argv[1], sys.argv[2]
if workload not in OPS:
    print("skip")
    sys.exit(0)
url = urlparse(endpoint)
local = threading.local()


def driver():
    if not hasattr(local, "driver"):
        cls = get_driver(Provider.MINIO)
        local.driver = cls("AKIABENCH", "bench-secret", secure=False, host=url.hostname, port=url.port)
    return local.driver


def container(d):
    return Container(name="bench", extra={}, driver=d)


def obj(d, name, size):
    return Object(name=name, size=size, hash=None, extra={}, meta_data={}, container=container(d), driver=d)


def one(i):
    d = driver()
    try:
        if workload == "put-1k":
            d.upload_object_via_stream(iter([SMALL]), container(d), f"k{i}")
        elif workload == "get-1k":
            b"".join(d.download_object_as_stream(obj(d, f"k{i}", 1024)))
        elif workload == "head":
            d.get_object("bench", f"k{i}")
        elif workload == "list":
            if len(list(d.iterate_container_objects(container(d)))) != 1000:
                return False
        elif workload == "put-1g":
            chunk = b"\x07" * (1 << 20)
            d.upload_object_via_stream((chunk for _ in range(BIG >> 20)), container(d), "big")
        elif workload == "get-1g":
            received = sum(len(c) for c in d.download_object_as_stream(obj(d, "big", BIG), chunk_size=1 << 20))
            return received == BIG
        return True
    except Exception:
        return False


ops = OPS[workload]
usage0 = resource.getrusage(resource.RUSAGE_SELF)
start = time.time()
with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
    errors = sum(1 for ok in pool.map(one, range(ops)) if not ok)
wall = time.time() - start
usage1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
if workload == "list":
    ops *= 1000
print(f"{cpu} {wall} {ops} {errors} {usage1.ru_maxrss}")
