// save_recording() / load_recording(): DIR/events.txt and DIR/truth.json
// (doc/record.md defines both).
#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "rmaplab/record.h"

namespace rmaplab::record {
namespace {

constexpr int kFormat = 1;

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

struct Token {
  std::string text;
  bool quoted = false;  // the whole token was a quoted string
};

// Splits on spaces; "..." (with \" \\ \xHH) may make up a token or follow
// "key=".
Result<std::vector<Token>> tokenize(std::string_view line) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < line.size()) {
    if (line[i] == ' ') {
      ++i;
      continue;
    }
    Token t;
    t.quoted = line[i] == '"';
    while (i < line.size() && line[i] != ' ') {
      if (line[i] != '"') {
        t.text += line[i++];
        continue;
      }
      for (++i;; ++i) {
        if (i >= line.size()) return Error{"an unterminated string"};
        char c = line[i];
        if (c == '"') {
          ++i;
          break;
        }
        if (c != '\\') {
          t.text += c;
          continue;
        }
        if (++i >= line.size()) return Error{"an unterminated string"};
        if (line[i] == 'x') {
          unsigned v = 0;
          if (i + 2 >= line.size() ||
              std::from_chars(line.data() + i + 1, line.data() + i + 3, v, 16).ec != std::errc())
            return Error{"a bad \\x escape"};
          t.text += char(v);
          i += 2;
        } else {
          t.text += line[i];
        }
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

template <class T>
bool number(std::string_view s, T* out) {
  int base = 10;
  if (s.starts_with("0x")) {
    s.remove_prefix(2);
    base = 16;
  }
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string join_hex(const std::array<std::uint64_t, 6>& a) {
  std::string s;
  for (std::size_t i = 0; i < a.size(); ++i) s += fmt::format("{}{:#x}", i ? "," : "", a[i]);
  return s;
}

std::string join(const std::vector<int>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += fmt::format("{}{}", i ? "," : "", v[i]);
  return s;
}

std::string op_line(const Operation& op) {
  std::string s = fmt::format("op {} pid={} t={} end={} ", op.index, op.pid, op.start_ns, op.end_ns);
  switch (op.kind) {
    case OpKind::syscall:
      s += fmt::format("syscall={} nr={} args={}", op.name, op.nr, join_hex(op.args));
      if (op.ret) s += fmt::format(" ret={}", *op.ret);
      if (op.file) s += fmt::format(" file={}", *op.file);
      if (!op.exec_filename.empty()) s += " exec=" + quote(op.exec_filename);
      if (!op.children.empty()) s += " children=" + join(op.children);
      if (!op.recorded_call) s += " other";
      break;
    case OpKind::fault:
      s += fmt::format("fault={} address={:#x} error_code={:#x} ip={}",
                       op.user_mode ? "user" : "kernel", op.address, op.error_code, quote(op.ip));
      if (op.within) s += fmt::format(" within={}", *op.within);
      break;
    case OpKind::signal:
      s += fmt::format("signal={}", op.signal);
      break;
    case OpKind::exit:
      s += fmt::format("exit group_dead={} killed={}", int(op.group_dead), int(op.killed));
      break;
  }
  return s;
}

nlohmann::json kmem_json(const KmemEvent& e) {
  return {{"alloc", e.alloc},
          {"object", std::string(to_string(e.object))},
          {"call_site", e.call_site},
          {"ptr", fmt::format("{:#x}", e.ptr)},
          {"pid", e.pid},
          {"t", e.time_ns}};
}

nlohmann::json totals_json(const Totals& t) {
  return {{"anon_vma_alloc", t.anon_vma_alloc},
          {"anon_vma_free", t.anon_vma_free},
          {"avc_alloc", t.avc_alloc},
          {"avc_free", t.avc_free}};
}

Status write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.flush();
  if (!out) return Error{fmt::format("cannot write {}: {}", path, std::strerror(errno))};
  return ok_status();
}

// key=value tokens of a line, after its positional ones.
struct Fields {
  std::vector<std::string> positional;
  std::map<std::string, std::string, std::less<>> kv;
  const std::string* get(std::string_view k) const {
    auto it = kv.find(k);
    return it == kv.end() ? nullptr : &it->second;
  }
};

Fields fields(const std::vector<Token>& tokens, std::size_t from) {
  Fields f;
  for (std::size_t i = from; i < tokens.size(); ++i) {
    std::size_t eq = tokens[i].quoted ? std::string::npos : tokens[i].text.find('=');
    if (eq == std::string::npos)
      f.positional.push_back(tokens[i].text);
    else
      f.kv[tokens[i].text.substr(0, eq)] = tokens[i].text.substr(eq + 1);
  }
  return f;
}

class LineReader {
 public:
  LineReader(std::string path, int line) : path_(std::move(path)), line_(line) {}
  Error error(std::string_view what) const {
    return Error{fmt::format("{}:{}: {}", path_, line_, what)};
  }
  template <class T>
  Status need(const Fields& f, std::string_view key, T* out) const {
    const std::string* v = f.get(key);
    if (!v) return error(fmt::format("no {}=", key));
    if constexpr (std::is_same_v<T, std::string>) {
      *out = *v;
    } else if (!number(*v, out)) {
      return error(fmt::format("{}={} is not a number", key, *v));
    }
    return ok_status();
  }
  template <class T>
  Status maybe(const Fields& f, std::string_view key, std::optional<T>* out) const {
    if (!f.get(key)) return ok_status();
    T v{};
    if (Status s = need(f, key, &v); !s.ok()) return s;
    *out = v;
    return ok_status();
  }

 private:
  std::string path_;
  int line_;
};

Result<std::vector<int>> int_list(const std::string& s) {
  std::vector<int> out;
  std::size_t pos = 0;
  while (pos <= s.size() && !s.empty()) {
    std::size_t comma = s.find(',', pos);
    int v = 0;
    if (!number(std::string_view(s).substr(pos, comma - pos), &v)) return Error{"a bad list"};
    out.push_back(v);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

#define RETURN_IF_ERROR(expr)                 \
  do {                                        \
    if (Status s_ = (expr); !s_.ok()) return s_.error(); \
  } while (0)

Result<Operation> parse_op(const LineReader& r, const std::vector<Token>& tokens) {
  Fields f = fields(tokens, 1);
  Operation op;
  if (f.positional.empty() || !number(f.positional[0], &op.index))
    return r.error("an op line without its number");
  RETURN_IF_ERROR(r.need(f, "pid", &op.pid));
  RETURN_IF_ERROR(r.need(f, "t", &op.start_ns));
  RETURN_IF_ERROR(r.need(f, "end", &op.end_ns));
  auto has = [&](std::string_view word) {
    for (std::size_t i = 1; i < f.positional.size(); ++i)
      if (f.positional[i] == word) return true;
    return false;
  };
  if (f.get("syscall")) {
    op.kind = OpKind::syscall;
    RETURN_IF_ERROR(r.need(f, "syscall", &op.name));
    RETURN_IF_ERROR(r.need(f, "nr", &op.nr));
    std::string args;
    RETURN_IF_ERROR(r.need(f, "args", &args));
    std::size_t pos = 0;
    for (std::size_t i = 0; i < op.args.size(); ++i) {
      std::size_t comma = args.find(',', pos);
      if (!number(std::string_view(args).substr(pos, comma - pos), &op.args[i]) ||
          (i + 1 < op.args.size()) == (comma == std::string::npos))
        return r.error("args= is not six numbers");
      pos = comma + 1;
    }
    RETURN_IF_ERROR(r.maybe(f, "ret", &op.ret));
    RETURN_IF_ERROR(r.maybe(f, "file", &op.file));
    if (const std::string* x = f.get("exec")) op.exec_filename = *x;
    if (const std::string* c = f.get("children")) {
      auto list = int_list(*c);
      if (!list.ok()) return r.error("children= is not a list of pids");
      op.children = *list;
    }
    op.recorded_call = !has("other");
  } else if (f.get("fault")) {
    op.kind = OpKind::fault;
    const std::string& mode = *f.get("fault");
    if (mode != "user" && mode != "kernel") return r.error("fault= is neither user nor kernel");
    op.user_mode = mode == "user";
    RETURN_IF_ERROR(r.need(f, "address", &op.address));
    RETURN_IF_ERROR(r.need(f, "error_code", &op.error_code));
    RETURN_IF_ERROR(r.need(f, "ip", &op.ip));
    RETURN_IF_ERROR(r.maybe(f, "within", &op.within));
  } else if (f.get("signal")) {
    op.kind = OpKind::signal;
    RETURN_IF_ERROR(r.need(f, "signal", &op.signal));
  } else if (has("exit")) {
    op.kind = OpKind::exit;
    int dead = 0, killed = 0;
    RETURN_IF_ERROR(r.need(f, "group_dead", &dead));
    RETURN_IF_ERROR(r.need(f, "killed", &killed));
    op.group_dead = dead;
    op.killed = killed;
  } else {
    return r.error("an op that is none of syscall=, fault=, signal=, exit");
  }
  return op;
}

Result<KmemEvent> parse_kmem(const nlohmann::json& j) {
  KmemEvent e;
  try {
    e.alloc = j.at("alloc").get<bool>();
    const std::string object = j.at("object").get<std::string>();
    if (object == "anon_vma")
      e.object = KernelObject::anon_vma;
    else if (object == "anon_vma_chain")
      e.object = KernelObject::anon_vma_chain;
    else
      return Error{"object is neither anon_vma nor anon_vma_chain"};
    e.call_site = j.at("call_site").get<std::string>();
    if (!number(j.at("ptr").get<std::string>(), &e.ptr)) return Error{"ptr is not a number"};
    e.pid = j.at("pid").get<int>();
    e.time_ns = j.at("t").get<std::uint64_t>();
  } catch (const nlohmann::json::exception& ex) {
    return Error{ex.what()};
  }
  return e;
}

}  // namespace

Status save_recording(const Recording& rec, const std::string& dir) {
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return Error{fmt::format("cannot create {}: {}", dir, std::strerror(errno))};
  std::string text = "# rmaplab recording: the operations of a program tree, one a line (doc/record.md)\n";
  text += fmt::format("format {}\n", kFormat);
  text += "command";
  for (const std::string& a : rec.command) text += " " + quote(a);
  text += "\nkernel " + quote(rec.kernel) + "\n";
  text += fmt::format("trace_events {}\n", rec.trace_events);
  for (const Task& t : rec.tasks) {
    text += fmt::format("task pid={} tgid={} parent={} origin={} clone_flags={:#x}", t.pid, t.tgid,
                        t.parent, to_string(t.origin), t.clone_flags);
    if (t.wait_status) text += fmt::format(" wait_status={:#x}", *t.wait_status);
    text += "\n";
  }
  for (const OpenFile& f : rec.files)
    text += fmt::format("file id={} pid={} op={} fd={} flags={:#x} path={}\n", f.id, f.pid, f.op,
                        f.fd, f.flags, quote(f.path));
  for (const Operation& op : rec.ops) text += op_line(op) + "\n";
  if (Status s = write_file(dir + "/events.txt", text); !s.ok()) return s;

  nlohmann::json ops = nlohmann::json::array();
  for (const Operation& op : rec.ops) {
    if (op.kmem.empty()) continue;
    Totals t;
    nlohmann::json events = nlohmann::json::array();
    for (const KmemEvent& e : op.kmem) {
      t.add(e);
      events.push_back(kmem_json(e));
    }
    nlohmann::json j = totals_json(t);
    j["op"] = op.index;
    j["pid"] = op.pid;
    j["events"] = std::move(events);
    ops.push_back(std::move(j));
  }
  nlohmann::json unexplained = nlohmann::json::array();
  for (const KmemEvent& e : rec.unexplained) unexplained.push_back(kmem_json(e));
  nlohmann::json truth = {{"format", kFormat},
                          {"totals", totals_json(rec.totals())},
                          {"unexplained_count", rec.unexplained.size()},
                          {"ops", std::move(ops)},
                          {"unexplained", std::move(unexplained)}};
  return write_file(dir + "/truth.json", truth.dump(1) + "\n");
}

Result<Recording> load_recording(const std::string& dir) {
  Recording rec;
  const std::string events_path = dir + "/events.txt";
  std::ifstream in(events_path);
  if (!in) return Error{fmt::format("cannot read {}: {}", events_path, std::strerror(errno))};
  std::string line;
  int number_of_line = 0;
  bool saw_format = false;
  while (std::getline(in, line)) {
    ++number_of_line;
    LineReader r(events_path, number_of_line);
    if (line.empty() || line.front() == '#') continue;
    auto tokens = tokenize(line);
    if (!tokens.ok()) return r.error(tokens.error().message);
    const std::string& type = (*tokens)[0].text;
    if (type == "format") {
      int v = 0;
      if (tokens->size() != 2 || !number((*tokens)[1].text, &v) || v != kFormat)
        return r.error(fmt::format("not format {} of a recording", kFormat));
      saw_format = true;
    } else if (!saw_format) {
      return r.error("a recording starts with its format line");
    } else if (type == "command") {
      for (std::size_t i = 1; i < tokens->size(); ++i) rec.command.push_back((*tokens)[i].text);
    } else if (type == "kernel") {
      if (tokens->size() == 2) rec.kernel = (*tokens)[1].text;
    } else if (type == "trace_events") {
      if (tokens->size() != 2 || !number((*tokens)[1].text, &rec.trace_events))
        return r.error("trace_events is not a number");
    } else if (type == "task") {
      Fields f = fields(*tokens, 1);
      Task t;
      std::string origin;
      RETURN_IF_ERROR(r.need(f, "pid", &t.pid));
      RETURN_IF_ERROR(r.need(f, "tgid", &t.tgid));
      RETURN_IF_ERROR(r.need(f, "parent", &t.parent));
      RETURN_IF_ERROR(r.need(f, "origin", &origin));
      RETURN_IF_ERROR(r.need(f, "clone_flags", &t.clone_flags));
      RETURN_IF_ERROR(r.maybe(f, "wait_status", &t.wait_status));
      bool found = false;
      for (TaskOrigin o : {TaskOrigin::launched, TaskOrigin::fork, TaskOrigin::vfork,
                           TaskOrigin::thread, TaskOrigin::vm_clone, TaskOrigin::unknown})
        if (to_string(o) == origin) {
          t.origin = o;
          found = true;
        }
      if (!found) return r.error(fmt::format("unknown origin={}", origin));
      rec.tasks.push_back(t);
    } else if (type == "file") {
      Fields f = fields(*tokens, 1);
      OpenFile file;
      RETURN_IF_ERROR(r.need(f, "id", &file.id));
      RETURN_IF_ERROR(r.need(f, "pid", &file.pid));
      RETURN_IF_ERROR(r.need(f, "op", &file.op));
      RETURN_IF_ERROR(r.need(f, "fd", &file.fd));
      RETURN_IF_ERROR(r.need(f, "flags", &file.flags));
      RETURN_IF_ERROR(r.need(f, "path", &file.path));
      rec.files.push_back(file);
    } else if (type == "op") {
      auto op = parse_op(r, *tokens);
      if (!op.ok()) return op.error();
      if (op->index != rec.ops.size())
        return r.error(fmt::format("op {} where op {} was due", op->index, rec.ops.size()));
      rec.ops.push_back(std::move(*op));
    } else {
      return r.error(fmt::format("unknown line type \"{}\"", type));
    }
  }
  if (!saw_format) return Error{fmt::format("{} has no format line", events_path)};

  const std::string truth_path = dir + "/truth.json";
  std::ifstream tin(truth_path);
  if (!tin) return Error{fmt::format("cannot read {}: {}", truth_path, std::strerror(errno))};
  nlohmann::json truth = nlohmann::json::parse(tin, nullptr, false);
  if (truth.is_discarded()) return Error{fmt::format("{} is not JSON", truth_path)};
  try {
    if (truth.at("format").get<int>() != kFormat)
      return Error{fmt::format("{} is not format {}", truth_path, kFormat)};
    for (const auto& j : truth.at("ops")) {
      std::size_t index = j.at("op").get<std::size_t>();
      if (index >= rec.ops.size())
        return Error{fmt::format("{}: op {} is not in events.txt", truth_path, index)};
      for (const auto& ev : j.at("events")) {
        auto e = parse_kmem(ev);
        if (!e.ok())
          return Error{fmt::format("{}: op {}: {}", truth_path, index, e.error().message)};
        rec.ops[index].kmem.push_back(*e);
      }
    }
    for (const auto& ev : truth.at("unexplained")) {
      auto e = parse_kmem(ev);
      if (!e.ok()) return Error{fmt::format("{}: unexplained: {}", truth_path, e.error().message)};
      rec.unexplained.push_back(*e);
    }
    const auto& t = truth.at("totals");
    Totals want{t.at("anon_vma_alloc").get<std::uint64_t>(), t.at("anon_vma_free").get<std::uint64_t>(),
                t.at("avc_alloc").get<std::uint64_t>(), t.at("avc_free").get<std::uint64_t>()};
    if (want != rec.totals())
      return Error{fmt::format("{}: the totals are not the sum of the operations' events", truth_path)};
  } catch (const nlohmann::json::exception& ex) {
    return Error{fmt::format("{}: {}", truth_path, ex.what())};
  }
  return rec;
}

}  // namespace rmaplab::record
