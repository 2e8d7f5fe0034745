"""Object storage behind one small port: put, get, delete and a time-limited download URL.

Knows no domain: keys are opaque paths (`a/b/c`) chosen by the caller. Two implementations:

- `DirectoryStorage`: files under a directory (the embedded mode's data directory; a volume in Kubernetes).
  It cannot sign URLs itself (`presign` is None): the service serves the bytes on its own signed URL.
- `S3Storage`: any S3-compatible server (boto3, its blocking calls run in a worker thread); `presign` gives
  the server's own presigned GET URL.

Deletes are idempotent (a missing object is no error), so a retried removal never fails on what the first
attempt already removed.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol

# Keys are relative paths of plain segments: no `..`, no absolute paths, nothing a filesystem reads specially.
_KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}(/[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}){0,7}$")


class InvalidKey(ValueError):
    """A key that is not a plain relative path."""


def check_key(key: str) -> str:
    if not _KEY.match(key) or any(part in (".", "..") for part in key.split("/")):
        raise InvalidKey(key)
    return key


class ObjectStorage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes | None:
        """The object's bytes, or None when there is no such object."""

    async def delete(self, key: str) -> None:
        """Removes the object; a missing one is no error."""

    async def presign(self, key: str, expires_seconds: int, content_type: str | None = None) -> str | None:
        """A GET URL valid for `expires_seconds`, or None when this storage does not sign URLs itself."""


class DirectoryStorage:
    """Objects as files under `root`; each written to a temporary file and renamed (never half a file)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._put, key, data)

    async def get(self, key: str) -> bytes | None:
        return await asyncio.to_thread(self._get, key)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def presign(self, key: str, expires_seconds: int, content_type: str | None = None) -> str | None:
        return None


class S3Storage:
    """An S3-compatible bucket. The client is made once; boto3's clients are thread-safe."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        client: Any = None,
    ) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.client = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            # Path-style URLs work with every S3-compatible server (MinIO, Ceph, moto) and any bucket name.
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
        )

    def _is_missing(self, error: Exception) -> bool:
        code = getattr(error, "response", {}).get("Error", {}).get("Code")
        return code in ("NoSuchKey", "404", "NotFound")

    def _get(self, key: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=check_key(key))
        except Exception as error:
            if self._is_missing(error):
                return None
            raise
        with answer["Body"] as body:
            data: bytes = body.read()
            return data

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self.client.put_object, Bucket=self.bucket, Key=check_key(key), Body=data, ContentType=content_type
        )

    async def get(self, key: str) -> bytes | None:
        return await asyncio.to_thread(self._get, key)

    async def delete(self, key: str) -> None:
        # S3's DELETE succeeds for a missing key.
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=check_key(key))

    async def presign(self, key: str, expires_seconds: int, content_type: str | None = None) -> str | None:
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": check_key(key)}
        if content_type:
            params["ResponseContentType"] = content_type
        # Signing is local (no request), but botocore may read credentials from disk: keep it off the loop.
        return await asyncio.to_thread(
            self.client.generate_presigned_url, "get_object", Params=params, ExpiresIn=expires_seconds
        )
