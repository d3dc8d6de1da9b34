-- The identity lookups this index served go through identities and the unique key;
-- keeping it cost every usage import a third random-order index insert per row.
DROP INDEX usage_identity;
