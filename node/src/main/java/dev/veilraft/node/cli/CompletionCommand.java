package dev.veilraft.node.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Prints a bash completion script for every command and option (zsh loads it through bashcompinit). */
@Command(name = "completion", description = {"Print a shell completion script (bash; zsh through bashcompinit).",
    "Install:  ./veilraft completion > /etc/bash_completion.d/veilraft  (or: source <(./veilraft completion))",
    "zsh:      autoload -U +X bashcompinit && bashcompinit && source <(./veilraft completion)"})
final class CompletionCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    var out = spec.commandLine().getOut();
    out.print(AutoComplete.bash("veilraft", spec.root().commandLine()));
    out.flush();
    return 0;
  }
}
