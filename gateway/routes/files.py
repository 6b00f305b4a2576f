"""Evidence files: uploaded once, named by their SM3 hash, refused on download if changed."""

from __future__ import annotations

from flask import Response
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

from gateway import limits
from gateway.answers import StoredFile
from gateway.api import Routes
from gateway.context import Context
from gateway.evidence import ALLOWED_TYPES, file_not_found
from gateway.schemas import FilePath
from services.kernel.access import READERS, UNIT_OR_OFFICE

routes = Routes()

# a download answers with the file itself, in the type its bytes were recognised as
FILE_CONTENT = {mime: {"schema": {"type": "string", "format": "binary"}} for mime in ALLOWED_TYPES}


@routes.route(
    "POST",
    "/api/v1/files",
    "上传佐证材料（照片、PDF、OFD、Word、Excel、纯文本至多 20 MB，MP4、MOV 短视频至多 100 MB；"
    "类型按内容识别）",
    roles=UNIT_OR_OFFICE,
    upload=limits.VIDEO_BYTES,
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
        raise file_not_found()
    stored, chunks = ctx.files.download(sha)
    kind = stored.file_type
    # The type is the one its bytes were recognised as, never the browser's guess (nosniff):
    # text is shown as text, never as HTML. Photos, videos and text may be shown in the page;
    # documents are saved; nothing served here may run a script (sandbox).
    disposition = "inline" if kind.shown else "attachment"
    return Response(
        chunks,
        content_type=stored.content_type,
        headers={
            "X-Content-SM3": sha,
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'{disposition}; filename="{sha}.{kind.extension}"',
            "Content-Security-Policy": "sandbox",
        },
    )
