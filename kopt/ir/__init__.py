"""IR analyses and helpers over kopt's dialects, shared by several passes (imports dialects and analysis, never passes)."""
