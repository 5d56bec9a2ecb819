"""pydash.objects.get / set_ / omit, reduced to what azure-ai-ml 1.4.0 uses."""
import copy

_MISSING = object()


def _keys(path):
    if isinstance(path, (list, tuple)):
        return list(path)
    return [p for p in str(path).split(".") if p != ""]


def _step(obj, key):
    if isinstance(obj, dict):
        return obj.get(key, _MISSING)
    if isinstance(obj, (list, tuple)):
        try:
            return obj[int(key)]
        except (ValueError, IndexError):
            return _MISSING
    return getattr(obj, str(key), _MISSING)


def get(obj, path, default=None):
    for key in _keys(path):
        obj = _step(obj, key)
        if obj is _MISSING:
            return default
    return obj


def set_(obj, path, value):
    keys = _keys(path)
    target = obj
    for key in keys[:-1]:
        nxt = _step(target, key)
        if nxt is _MISSING or nxt is None:
            nxt = {}
            if isinstance(target, dict):
                target[key] = nxt
            else:
                setattr(target, key, nxt)
        target = nxt
    if isinstance(target, dict):
        target[keys[-1]] = value
    elif isinstance(target, list):
        target[int(keys[-1])] = value
    else:
        setattr(target, keys[-1], value)
    return obj


def omit(obj, *paths):
    flat = []
    for p in paths:
        flat.extend(p if isinstance(p, (list, tuple)) else [p])
    result = copy.copy(obj)
    for p in flat:
        keys = _keys(p)
        target = result
        for key in keys[:-1]:
            target = _step(target, key)
            if target is _MISSING:
                break
        else:
            if isinstance(target, dict):
                target.pop(keys[-1], None)
    return result
