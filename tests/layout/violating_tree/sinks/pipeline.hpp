#pragma once
// A planted violation for the layout test: sinks/ must never include ingest/.
#include "ingest/stream/line_framer.hpp"
