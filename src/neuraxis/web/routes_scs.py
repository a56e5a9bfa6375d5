"""The SCS programming page: not available yet in the web app.

The SCS chain (scenario, warm session, body map, recruitment curve, optimiser) is in the
library and the command line (``neuraxis scs``); its web page, with the long jobs in the
background, is the next slice of the web app. This router says so, honestly, on the page
and in the API, so links and scripts get a clear answer instead of a 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from neuraxis.web._render import api_json, page
from neuraxis.web.security import WebUser, require

router = APIRouter()
Runner = Annotated[WebUser, Depends(require("models:run"))]
NOT_AVAILABLE = ("The SCS programming page is not available yet in the web app. Use the "
                 "command line: neuraxis scs run SCENARIO.yaml (docs/scs.md).")


@router.get("/scs", include_in_schema=False)
def scs_page(request: Request, user: Runner) -> Response:
    """A page that says the SCS programmer is not available yet, and what to use."""
    return page(request, "scs.html", user=user, message=NOT_AVAILABLE)


@router.get("/api/scs/status", tags=["scs"])
def scs_status(user: Runner) -> Response:
    """Whether SCS programming is available in the web app (not yet: ``available``
    false, with what to use instead)."""
    return api_json({"available": False, "message": NOT_AVAILABLE})
