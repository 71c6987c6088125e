package dev.veilraft.simulator.local;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code veilraft local down --dir DIR}: stops the cluster {@code local up} started there. Asks the
 * supervisor to stop (it stops its nodes), then stops any node still running (SIGTERM, SIGKILL
 * after {@link #STOP_WAIT_S} s), and removes {@code cluster.json}. The data stays in DIR.
 */
@Command(name = "down", mixinStandardHelpOptions = true,
    versionProvider = dev.veilraft.simulator.SimulatorMain.Version.class,
    description = "Stop the local cluster started in DIR (its data stays there).")
public final class LocalDown implements Callable<Integer> {
  static final long STOP_WAIT_S = 20;

  @Spec CommandSpec spec;

  @Option(names = "--dir", required = true, description = "The cluster's directory.")
  Path dir;

  @Override
  public Integer call() throws IOException, InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    Path json = dir.toAbsolutePath().resolve(ClusterJson.FILE);
    if (!Files.exists(json)) {
      out.println("LOCAL FAILED no cluster runs in " + dir.toAbsolutePath() + " (no " + ClusterJson.FILE + ")");
      return 1;
    }
    List<Long> pids = ClusterJson.pids(json);
    int stopped = 0;
    for (long pid : pids) {
      Optional<ProcessHandle> p = ProcessHandle.of(pid);
      if (p.isPresent() && p.get().isAlive()) {
        p.get().destroy();
        try {
          p.get().onExit().get(STOP_WAIT_S, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
          p.get().destroyForcibly();
        }
        stopped++;
      }
    }
    Files.deleteIfExists(json);
    out.println("LOCAL DOWN dir=" + dir.toAbsolutePath() + " stopped=" + stopped);
    return 0;
  }
}
