--[[
stillmotion_lua/generate: the commands that make new clips and place them in the CURRENT
timeline, as the Python menu does: generate at the playhead, batch on markers, a new take,
extend and fill-gap.

Why one module for five commands: they differ only in the `stillmotion` arguments; each exports
the timeline with the AI tracks off (the command reads the shots under them), runs the command
with `-o RESULT`, and hands RESULT to stillmotion_lua/place.
]]

local sm = ...
local util, session, place = sm.need("util"), sm.need("session"), sm.need("place")
local generate = {}

local ARGS = {
  batch = function(a, exported) return {"batch", exported, "--from-markers"},
    (a.color or "") ~= "" and {"--color", a.color} or {} end,
  generate = function(a, exported, timecode) return {"generate", exported, "--at", timecode,
    "--prompt", a.prompt}, {} end,
  take = function(a, exported, timecode) return {"generate", exported, "--at", timecode,
    "--prompt", a.prompt, "--new-take"}, {} end,
  extend = function(a, exported, timecode) return {"extend", exported, "--at", timecode,
    "--prompt", a.prompt}, {} end,
  ["fill-gap"] = function(a, exported, timecode) return {"fill-gap", exported, "--at", timecode,
    "--prompt", a.prompt}, {} end,
}
generate.NAMES = ARGS

local function run(ctx, name, answers)
  local timeline = ctx.timeline
  local timecode = session.playhead(timeline)
  if name ~= "batch" and (answers.prompt or ""):match("^%s*$") then
    util.fail("the prompt is empty; describe the shot and its camera move.")
  end
  local exported = session.export(ctx, ctx.base .. ".otio", true)
  local result = ctx.base .. "-ai.otio"
  local args, extra = ARGS[name](answers, exported, timecode)
  local seconds = name ~= "fill-gap" and answers.seconds or nil  -- fill-gap fits the gap
  for _, pair in ipairs({{"--seconds", seconds}, {"--provider", answers.provider}}) do
    if (pair[2] or "") ~= "" then table.insert(args, pair[1]); table.insert(args, pair[2]) end
  end
  for _, arg in ipairs(extra) do table.insert(args, arg) end
  for _, arg in ipairs({"-o", result, "--media-dir", ctx.folder}) do table.insert(args, arg) end
  local ran = pcall(util.cli, ctx.config, args, ctx.log)
  -- batch writes RESULT with the clips that finished even when one failed
  if not util.exists(result) then util.fail(util.last_error(ctx.log)) end
  ctx.take = name == "take"
  ctx.take_at = ctx.take and session.frames_of(timeline, timecode) or nil
  local placed, failures = place.all(ctx, {"clips", result})
  timeline:SetCurrentTimecode(timecode)
  if not ran then table.insert(failures, util.last_error(ctx.log)) end
  return place.report(placed, failures, "clip")
end

-- Run `name` (generate, batch, take, extend, fill-gap); a message, or error("stillmotion: ...").
function generate.command(resolve, name, answers, config)
  if not ARGS[name] then util.fail("unknown command '" .. tostring(name) .. "'.") end
  local ctx = session.open(resolve, config, name)
  return (session.on_edit_page(resolve, run, ctx, name, answers))
end

return generate
