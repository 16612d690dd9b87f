"""Test-only: write checkpoints the way torch.save does, without torch.

Stub `torch` / `torch._utils` modules give pickle the same globals that real
state dicts reference (collections.OrderedDict, torch._utils._rebuild_tensor_v2,
torch.FloatStorage, ...), so the standard library's pickler emits the same
opcodes torch.save would (protocol 2, persistent ids for storages).

Usage: torch_save.py SPEC.json OUT.pth
SPEC: {"format": "zip" | "legacy" | "evil",
       "tensors": [{"name", "shape", "values", "dtype": "float32"|"float16"|"int64",
                    "layout": "contiguous"|"transposed"|"offset"}]}
"""
import collections
import json
import os
import pickle
import struct
import sys
import types
import zipfile

torch = types.ModuleType("torch")
utils = types.ModuleType("torch._utils")
torch._utils = utils
sys.modules["torch"] = torch
sys.modules["torch._utils"] = utils


def _stub(module, name, value):
    value.__module__ = module.__name__
    value.__qualname__ = name
    value.__name__ = name
    setattr(module, name, value)
    return value


STORAGE_TYPES = {
    "float32": (_stub(torch, "FloatStorage", type("FloatStorage", (), {})), "<f"),
    "float16": (_stub(torch, "HalfStorage", type("HalfStorage", (), {})), "<e"),
    "int64": (_stub(torch, "LongStorage", type("LongStorage", (), {})), "<q"),
}
_stub(utils, "_rebuild_tensor_v2", lambda *a: None)


class Storage:
    def __init__(self, key, dtype, values):
        self.key, self.dtype, self.values = key, dtype, values

    def raw(self):
        fmt = STORAGE_TYPES[self.dtype][1]
        return b"".join(struct.pack(fmt, v) for v in self.values)


class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def __reduce_ex__(self, protocol):
        args = (self.storage, self.offset, tuple(self.size), tuple(self.stride), False,
                collections.OrderedDict())
        return (utils._rebuild_tensor_v2, args)


def contiguous_strides(shape):
    strides, acc = [], 1
    for d in reversed(shape):
        strides.insert(0, acc)
        acc *= d
    return strides


def make_tensor(key, spec):
    shape, values, dtype = spec["shape"], spec["values"], spec.get("dtype", "float32")
    layout = spec.get("layout", "contiguous")
    if dtype == "int64":
        values = [int(v) for v in values]
    if layout == "transposed":
        # Store dims 0 and 1 swapped; the tensor is a non-contiguous view of it.
        a, b, rest = shape[0], shape[1], 1
        for d in shape[2:]:
            rest *= d
        data = [values[(i * b + j) * rest + r] for j in range(b) for i in range(a) for r in range(rest)]
        stride = [rest, a * rest] + contiguous_strides(shape[2:])
        return Tensor(Storage(key, dtype, data), 0, shape, stride)
    if layout == "offset":
        return Tensor(Storage(key, dtype, [123.0] * 3 + values), 3, shape, contiguous_strides(shape))
    return Tensor(Storage(key, dtype, values), 0, shape, contiguous_strides(shape))


def state_dict(spec):
    sd = collections.OrderedDict()
    for i, t in enumerate(spec["tensors"]):
        sd[t["name"]] = make_tensor(str(i), t)
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("model", {"version": 1})])
    return sd


def persistent_id_zip(obj):
    if isinstance(obj, Storage):
        return ("storage", STORAGE_TYPES[obj.dtype][0], obj.key, "cpu", len(obj.values))
    return None


def persistent_id_legacy(obj):
    if isinstance(obj, Storage):
        return ("storage", STORAGE_TYPES[obj.dtype][0], obj.key, "cpu", len(obj.values), None)
    return None


def storages(sd):
    return {t.storage.key: t.storage for t in sd.values()}


def save_zip(sd, out, evil=False):
    import io

    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=2)
    pickler.persistent_id = persistent_id_zip
    pickler.dump(Evil() if evil else sd)
    prefix = os.path.splitext(os.path.basename(out))[0]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{prefix}/data.pkl", buf.getvalue())
        z.writestr(f"{prefix}/byteorder", "little")
        for key, s in storages(sd).items():
            z.writestr(f"{prefix}/data/{key}", s.raw())
        z.writestr(f"{prefix}/version", "3\n")


def save_legacy(sd, out):
    with open(out, "wb") as f:
        pickle.dump(0x1950A86A20F9469CFC6C, f, protocol=2)
        pickle.dump(1001, f, protocol=2)
        info = {"protocol_version": 1001, "little_endian": True,
                "type_sizes": {"short": 2, "int": 4, "long": 4}}
        pickle.dump(info, f, protocol=2)
        pickler = pickle.Pickler(f, protocol=2)
        pickler.persistent_id = persistent_id_legacy
        pickler.dump(sd)
        keys = sorted(storages(sd).keys())
        pickle.dump(keys, f, protocol=2)
        for key in keys:
            s = storages(sd)[key]
            f.write(struct.pack("<q", len(s.values)))
            f.write(s.raw())


class Evil:
    """What a malicious checkpoint looks like: unpickling it would run a shell command."""

    def __reduce__(self):
        return (os.system, ("touch " + os.environ.get("EVIL_MARKER", "/tmp/evil-marker"),))


def main():
    spec = json.load(open(sys.argv[1]))
    sd = state_dict(spec)
    fmt = spec["format"]
    if fmt == "legacy":
        save_legacy(sd, sys.argv[2])
    else:
        save_zip(sd, sys.argv[2], evil=(fmt == "evil"))


main()
