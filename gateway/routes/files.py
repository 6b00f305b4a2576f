"""Evidence files: uploaded once, named by their SM3 hash, refused on download if changed."""

from __future__ import annotations

from flask import Response
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

from gateway import limits
from gateway.answers import StoredFile
from gateway.api import Routes
from gateway.context import Context
from gateway.evidence import ALLOWED_TYPES
from gateway.schemas import FilePath
from services.kernel.access import READERS, UNIT_OR_OFFICE
from services.kernel.errors import NotFound

routes = Routes()

# a download answers with the file itself, in the type its bytes were recognised as
FILE_CONTENT = {mime: {"schema": {"type": "string", "format": "binary"}} for mime in ALLOWED_TYPES}


@routes.route(
    "POST",
    "/api/v1/files",
    "上传佐证材料（照片、PDF、Word、Excel，至多 20 MB，类型按内容识别）",
    roles=UNIT_OR_OFFICE,
    upload=limits.EVIDENCE_BYTES,
    answers={201: StoredFile},
    refusals=(413, 415, 422),
)
def upload_file(ctx: Context, upload: FileStorage) -> ResponseReturnValue:
    stored = ctx.files.put(upload.stream, upload.filename or "附件")
    ctx.uploads.record(stored.sha, ctx.actor()["user"])
    return stored.as_dict(), 201


@routes.route(
    "GET",
    "/api/v1/files/<sm3:sha>",
    "下载佐证材料（内容与哈希不符时拒绝；承办单位只能下载本单位事项的材料或自己上传的文件）",
    roles=READERS,
    params=FilePath,
    answers={200: FILE_CONTENT},
    refusals=(404, 409),
)
def download_file(ctx: Context, sha: str) -> ResponseReturnValue:
    if not ctx.may_read_file(sha):
        raise NotFound("文件", "file")
    stored = ctx.files.describe(sha, sha)
    return Response(
        ctx.files.get(sha), mimetype=stored.content_type, headers={"X-Content-SM3": sha}
    )
