"""The C reading side: lexing and scanning the sources (cscan, scanning),
declarations and types (cdecl), the keys that name an allocation's object
(keys), and the cache of what was read (factcache)."""
