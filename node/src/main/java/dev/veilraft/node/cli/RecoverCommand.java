package dev.veilraft.node.cli;

import dev.veilraft.node.ConfigException;
import dev.veilraft.node.NodeConfig;
import dev.veilraft.node.NodeException;
import dev.veilraft.node.Recovery;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code veilraft node recover}: the operator's answer to a node that refuses to start because its
 * state store is damaged. See {@link Recovery} for what is moved aside, what is kept and why.
 */
@Command(name = "recover", description = {
    "Move this stopped node's damaged state store to <data>/quarantine/<time>/ (nothing is deleted), keep its keys, "
        + "epoch secrets and Raft storage (term, vote, log, snapshots), and start it again: it rebuilds its state from "
        + "its latest snapshot, its log and its peers, as the same member.",
    "Refuses, changing nothing, while the node runs, when the store is healthy (unless --force), or when the node's "
        + "own disk cannot rebuild it (then remove the member and join a new node)."})
final class RecoverCommand implements Callable<Integer> {
  @Option(names = "--config", required = true, description = "Node configuration file (YAML).")
  Path config;

  @Option(names = "--force", description = "Rebuild even a store that opens and verifies.")
  boolean force;

  @Option(names = "--no-start", description = "Only quarantine; start the node later with 'veilraft node start'.")
  boolean noStart;

  @Override
  public Integer call() throws Exception {
    NodeConfig parsed;
    try {
      parsed = ConfigFiles.read(config);
    } catch (ConfigException e) {
      System.out.println("FAILED config " + e.getMessage());
      return 1;
    }
    Recovery.Report report;
    // Held while the store is moved aside, released before the node starts (which takes it again).
    try (dev.veilraft.node.DataDirLock lock = dev.veilraft.node.DataDirLock.acquire(parsed.dataDir())) {
      report = Recovery.run(parsed, force, Clock.systemUTC());
    } catch (NodeException e) {
      // A lock held by another process is a running node: recover's documented code for it.
      String code = e.code().equals("DATA_DIR_LOCKED") ? "NODE_RUNNING" : e.code();
      System.out.println("FAILED " + code + " " + e.getMessage());
      return 1;
    }
    System.out.println("QUARANTINED " + report.quarantine() + " (" + report.damage() + ")");
    System.out.println("rebuilding from " + (report.snapshotIndex() > 0
        ? "the local snapshot at index " + report.snapshotIndex() + " (epoch " + report.snapshotEpoch() + "), "
        : "") + "the local Raft log and the peers; epoch secrets salvaged: " + report.epochsSalvaged()
        + (report.salvageProblems().isEmpty() ? "" : "; could not salvage: " + report.salvageProblems()));
    if (report.warning() != null) {
      System.out.println("WARNING " + report.warning());
    }
    System.out.flush();
    if (noStart) {
      return 0;
    }
    return NodeCommand.run(config, null);
  }
}
