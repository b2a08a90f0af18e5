"""This process's place in a distributed run: ranks, device, and object exchange.

Under ``torchrun`` (or any launcher setting ``RANK``/``WORLD_SIZE``/``LOCAL_RANK``)
:meth:`Dist.setup` joins the process group (gloo on CPU, nccl on CUDA) and picks this rank's
device; alone it is rank 0 of 1 and every exchange is the identity.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import torch

from stprompt_core.runtime import resolve_device


@dataclass
class Dist:
    """This process's place in a (possibly single-process) distributed run."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    local_world: int = 1
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    owns_group: bool = False

    @classmethod
    def setup(cls, device_name: str, setting: str = "device") -> Dist:
        """Read ``RANK``/``WORLD_SIZE``/``LOCAL_RANK``; join the process group (gloo on CPU, nccl on CUDA).

        ``device_name`` is resolved by :func:`~stprompt_core.runtime.resolve_device` (``setting``
        names it in the error); a bare ``cuda`` becomes this process's ``cuda:LOCAL_RANK``.
        """
        import torch.distributed as td

        env = os.environ
        world = int(env.get("WORLD_SIZE", "1"))
        rank, local_rank = int(env.get("RANK", "0")), int(env.get("LOCAL_RANK", "0"))
        local_world = int(env.get("LOCAL_WORLD_SIZE", str(world)))
        if td.is_available() and td.is_initialized():
            rank, world = td.get_rank(), td.get_world_size()
        device = resolve_device(device_name, setting)
        if device.type == "cuda" and device.index is None:
            device = torch.device("cuda", local_rank)
        if device.type == "cuda":
            torch.cuda.set_device(device)
        d = cls(rank, world, local_rank, local_world, device)
        if world > 1 and not td.is_initialized():
            td.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
            d.owns_group = True
        return d

    def gather(self, obj: Any) -> list[Any]:
        """``obj`` of every rank, in rank order."""
        if self.world == 1:
            return [obj]
        import torch.distributed as td

        out: list[Any] = [None] * self.world
        td.all_gather_object(out, obj)
        return out

    def broadcast(self, obj: Any) -> Any:
        """Rank 0's ``obj`` on every rank."""
        if self.world == 1:
            return obj
        import torch.distributed as td

        box = [obj]
        td.broadcast_object_list(box, src=0)
        return box[0]

    def close(self, wait: bool) -> None:
        """Leave the process group this process joined (after a barrier with ``wait``)."""
        if self.owns_group:
            import torch.distributed as td

            if wait:
                td.barrier()
            td.destroy_process_group()
