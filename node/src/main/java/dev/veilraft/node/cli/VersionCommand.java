package dev.veilraft.node.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Prints the version. */
@Command(name = "version", description = "Print the veilraft version.")
final class VersionCommand implements Runnable {
  static final class Provider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"veilraft " + version()};
    }
  }

  static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-SNAPSHOT (development build)" : v;
  }

  @Override
  public void run() {
    System.out.println("veilraft " + version());
  }
}
