#pragma once
// axon-bench's output: the table on the terminal and the JSON file.

#include <cstdio>
#include <string>
#include <vector>

#include "machine.h"
#include "options.h"
#include "runner.h"

namespace axon::bench {

// An aligned table: one line per row.
void print_table(const std::vector<Row>& rows, std::FILE* out);

// --profile: each row's profile table, headed by the row.
void print_profiles(const std::vector<Row>& rows, int64_t steps, std::FILE* out);

// Every figure of every row, the options, the machine, axon's version and commit, the date.
std::string to_json(const BenchOptions& options, const MachineInfo& machine,
                    const std::vector<Row>& rows);

}  // namespace axon::bench
