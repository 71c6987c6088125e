package dev.veilraft.simulator.fault;

/**
 * What happened to one scheduled fault: when it was injected and healed (history time), what it
 * did exactly (targets resolved at run time), and for attacks whether the cluster refused them
 * for the right reason.
 *
 * @param endNs when it healed; equal to {@code startNs} for an attack that ran to its end at once
 * @param passed false when an attack was not refused as it must be, or a fault could not be injected
 */
public record FaultWindow(int index, FaultKind kind, String description, long startNs, long endNs, String outcome,
    boolean passed) {}
