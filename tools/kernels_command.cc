// rmaplab kernels list [--remote] | fetch NAME | check IMAGE|NAME [--config FILE]
//                     [--cache DIR]
//
// Parses the options and calls the library (rmaplab/vm.h): the kernels
// rmaplab can fetch and which are cached (with --remote also what the
// registry offers now), fetching one (progress on stderr, the image path on
// stdout), and checking an image for what `verify --kernel` needs.
//
// Exit code: 0 done (check: nothing required is missing), 2 a bad command
// line, 3 a fetch that failed or a kernel verify cannot use (check names the
// missing options).
#include <algorithm>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "command.h"
#include "rmaplab/vm.h"

namespace rmaplab::cli {

struct KernelsCommand {
  std::string action, target;
  std::string cache, config;
  bool remote = false;
};

namespace {

ExitCode list(const KernelsCommand& o, report::Reporter& r) {
  r.print(fmt::format("cache: {}", o.cache));
  for (const vm::KnownKernel& k : vm::known_kernels()) {
    std::string line = fmt::format("{:<12} {:<17} {}", k.name, k.suite, k.about);
    if (auto c = vm::cached_kernel(o.cache, k.name))
      line += fmt::format("\n  cached:   {} ({})", c->package, c->image);
    else
      line += "\n  cached:   no";
    if (o.remote) {
      auto offer = vm::registry_offer(k, o.cache);
      line += fmt::format("\n  registry: {}", offer.ok() ? *offer : offer.error().message);
    }
    r.print(line);
  }
  return ExitCode::success;
}

ExitCode check(const KernelsCommand& o, report::Reporter& r) {
  auto kernel = vm::resolve_kernel(o.target, o.cache, false, [](const std::string&) {});
  if (!kernel.ok()) {
    r.message(fmt::format("rmaplab kernels check: {}", kernel.error().message));
    return ExitCode::unobservable;
  }
  auto c = vm::check_kernel(kernel->image, o.config.empty() ? kernel->config : o.config);
  if (!c.ok()) {
    r.message(fmt::format("rmaplab kernels check: {}", c.error().message));
    return ExitCode::unobservable;
  }
  std::string text =
      fmt::format("image:   {}\nversion: {}\nconfig:  {}", c->image, c->version, c->config);
  for (const vm::ConfigNeed& n : vm::config_needs()) {
    const bool missing = std::find(c->missing.begin(), c->missing.end(), &n) != c->missing.end() ||
                         std::find(c->missing_optional.begin(), c->missing_optional.end(), &n) !=
                             c->missing_optional.end();
    text +=
        fmt::format("\n  {:<8} {:<28} {}{}", missing ? (n.required ? "MISSING" : "absent") : "ok",
                    n.option, n.why, n.required ? "" : " (optional)");
  }
  if (c->ok())
    text += "\nverify --kernel can use this kernel";
  else {
    std::string names;
    for (const vm::ConfigNeed* n : c->missing)
      names += fmt::format("{}{}=y", names.empty() ? "" : " ", n->option);
    text += fmt::format("\nverify --kernel cannot use this kernel: it needs {}", names);
  }
  r.print(text);
  return c->ok() ? ExitCode::success : ExitCode::unobservable;
}

}  // namespace

ExitCode run_kernels(const KernelsCommand& o) {
  report::Reporter r(report::Format::text, std::cout, std::cerr);
  if (o.action == "list") {
    if (!o.target.empty()) {
      r.message(fmt::format("rmaplab kernels list: unexpected argument '{}'", o.target));
      return ExitCode::usage;
    }
    return list(o, r);
  }
  if (o.action != "fetch" && o.action != "check") {
    r.message(fmt::format("rmaplab kernels: unknown action '{}' (list, fetch NAME, check IMAGE){}",
                          o.action, suggestion(o.action, {"list", "fetch", "check"})));
    return ExitCode::usage;
  }
  if (o.target.empty()) {
    r.message(
        fmt::format("rmaplab kernels {}: name a kernel ({})", o.action,
                    o.action == "fetch" ? "see 'rmaplab kernels list'" : "an image or a name"));
    return ExitCode::usage;
  }
  if (o.action == "check") return check(o, r);
  if (!vm::find_known_kernel(o.target)) {
    std::vector<std::string> names;
    for (const vm::KnownKernel& k : vm::known_kernels()) names.emplace_back(k.name);
    r.message(
        fmt::format("rmaplab kernels fetch: unknown kernel '{}'{} (see 'rmaplab kernels list')",
                    o.target, suggestion(o.target, names)));
    return ExitCode::usage;
  }
  auto k = vm::fetch_kernel(o.target, o.cache, [&](const std::string& line) { r.message(line); });
  if (!k.ok()) {
    r.message(
        fmt::format("rmaplab kernels fetch: cannot fetch {}: {}", o.target, k.error().message));
    return ExitCode::unobservable;
  }
  r.print(k->image);
  return ExitCode::success;
}

Runner setup_kernels(CLI::App& app) {
  auto o = std::make_shared<KernelsCommand>();
  o->cache = vm::default_cache_dir();
  app.add_option("action", o->action, "list, fetch NAME, or check IMAGE|NAME")->required();
  app.add_option("target", o->target, "The kernel: a name (debian-6.1, ...) or an image file");
  app.add_option("--cache", o->cache,
                 "Where fetched kernels are kept (default $RMAPLAB_KERNELS, else "
                 "~/.cache/rmaplab/kernels)")
      ->type_name("DIR");
  app.add_option("--config", o->config,
                 "check: the kernel's config file (default: beside the image)")
      ->type_name("FILE");
  app.add_flag("--remote", o->remote, "list: also ask the registry what it offers now");
  return [o] { return run_kernels(*o); };
}

}  // namespace rmaplab::cli
