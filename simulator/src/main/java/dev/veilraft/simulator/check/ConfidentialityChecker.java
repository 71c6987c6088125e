package dev.veilraft.simulator.check;

import dev.veilraft.node.demo.DiskScan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * No workload plaintext on disk: after the nodes stopped, every file of every node's data
 * directory (Raft log, snapshots, state store, keys) and every node log is searched for the byte
 * pattern all workload keys and values carry. The simulator's own history file is not scanned:
 * it is the client's record, and holds plaintext by design.
 */
public final class ConfidentialityChecker {
  public static final String NAME = "confidential";

  public Verdict check(List<Path> dataDirs, List<Path> logs, byte[] marker) {
    List<Path> roots = new ArrayList<>();
    for (Path p : dataDirs) {
      if (Files.exists(p)) {
        roots.add(p);
      }
    }
    for (Path p : logs) {
      if (Files.isRegularFile(p)) {
        roots.add(p);
      }
    }
    try {
      DiskScan.Result scan = DiskScan.scan(roots, marker);
      if (!scan.hits().isEmpty()) {
        return Verdict.fail(NAME, Verdict.Kind.SAFETY, "workload plaintext found in " + scan.hits().size() + " files, "
            + "first " + scan.hits().get(0));
      }
      return Verdict.pass(NAME, Verdict.Kind.SAFETY, String.format(Locale.ROOT,
          "%d files (%.1f MB) in %d data directories and logs: no workload plaintext", scan.files(), scan.bytes() / 1e6,
          roots.size()));
    } catch (IOException e) {
      return Verdict.fail(NAME, Verdict.Kind.SAFETY, "cannot scan the data directories: " + e.getMessage());
    }
  }
}
