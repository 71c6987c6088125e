package dev.veilraft.node.cli;

import dev.veilraft.crypto.tee.TeeDetection;
import dev.veilraft.crypto.tee.TeeEnvironment;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code veilraft hardware}: what trusted execution this machine offers. */
@Command(name = "hardware", description = {
    "Print the TEE interfaces this machine offers: configfs-tsm providers, /dev/sev-guest, /dev/tdx_guest, "
        + "/dev/nsm; or that only the simulated platform (INSECURE) is available."},
    footer = {"", "Exit code: 0 (the output says what was found)."})
public final class HardwareCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    TeeEnvironment environment = TeeDetection.detect();
    PrintWriter out = spec.commandLine().getOut();
    environment.describe().forEach(out::println);
    out.flush();
    return 0;
  }
}
