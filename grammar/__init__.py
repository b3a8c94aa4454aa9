"""The grammar of the language (`nts.lark`, the single source of truth of its syntax), shipped as package data."""
