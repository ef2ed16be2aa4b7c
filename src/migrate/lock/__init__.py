"""Lock stage: uv on a staging copy, package indexes, free-threading readiness."""
