package io.strata.core;

/** Attributes plus how long they may be cached. */
public record AttrReply(Attr attr, long attrTimeoutNs) {}
