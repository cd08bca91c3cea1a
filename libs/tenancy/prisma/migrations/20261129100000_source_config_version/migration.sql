-- A source's settings version (docs/connectors.md, "Changing a source while it syncs"): every PATCH of its
-- connection or mapping bumps it. A sync reads it when it starts, and each of its commits locks the source
-- row (FOR SHARE) and saves the position only if the version is still the one it started with, so a
-- sync that was running when the tenant replaced the connection cannot write the old connection's
-- position back after the PATCH dropped it. Additive: a new column with a default (existing sources are
-- version 1).

-- AlterTable
ALTER TABLE "sources" ADD COLUMN     "config_version" INTEGER NOT NULL DEFAULT 1;
