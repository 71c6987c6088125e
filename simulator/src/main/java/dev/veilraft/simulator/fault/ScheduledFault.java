package dev.veilraft.simulator.fault;

/** A fault and its window: it starts {@code atMs} after the run began and heals {@code holdMs} later. */
public record ScheduledFault(int index, long atMs, long holdMs, Fault fault) {}
