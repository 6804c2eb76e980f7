#pragma once
// Part of the planted-violation tree used by tests/CMakeLists.txt (layout:violation_is_caught).
