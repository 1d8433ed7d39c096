package io.strata.core;

/** The result of create/tmpfile: the new entry and its open handle. */
public record Created(Entry entry, Opened opened) {}
