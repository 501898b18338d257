// The video selfie, recorded in the browser (progressive enhancement of
// /prove-identity/photo-id/video). Without JavaScript, a camera or
// MediaRecorder, the page's plain file inputs stay: the person chooses a video
// (and a member of staff checks it, as there are no frames).
//
// With them: the camera is shown, about 5 seconds are recorded with
// MediaRecorder while the person reads the 4 numbers, and meanwhile frames of
// the video are drawn to a canvas and kept as JPEGs (the server compares the
// faces in those: it cannot decode video). The recording and the frames are
// put into the form's own file inputs, so the ordinary form post sends them;
// where a browser cannot set a file input's files, they are sent with fetch.
/* global navigator, MediaRecorder, DataTransfer, File, Blob, FormData, fetch, setTimeout */
(function () {
  'use strict';
  var form = document.getElementById('video-selfie-form');
  var panel = document.getElementById('video-selfie');
  var preview = document.getElementById('video-selfie-preview');
  var status = document.getElementById('video-selfie-status');
  var recordButton = document.getElementById('video-selfie-record');
  var uploads = document.getElementById('video-selfie-upload');
  // By name: nhsuk-frontend's file upload component moves the ids to its own buttons.
  var fileInput = function (name) {
    return form && form.querySelector('input[type="file"][name="' + name + '"]');
  };
  if (!form || !panel || !preview || !recordButton || !fileInput('video') || !fileInput('frames')) return;
  if (
    !navigator.mediaDevices ||
    typeof navigator.mediaDevices.getUserMedia !== 'function' ||
    typeof window.MediaRecorder !== 'function'
  )
    return;

  var RECORD_MS = 5000;
  var maxFrames = Number(form.getAttribute('data-max-frames')) || 8;
  var frameCount = Math.min(6, maxFrames);
  var recorded = null;

  panel.hidden = false;
  var say = function (text) {
    if (status) status.textContent = text;
  };
  say('Select "Start recording", then say the 4 numbers.');

  function mimeType() {
    var types = ['video/webm;codecs=vp8,opus', 'video/webm', 'video/mp4'];
    for (var i = 0; i < types.length; i++) {
      if (MediaRecorder.isTypeSupported && MediaRecorder.isTypeSupported(types[i])) return types[i];
    }
    return '';
  }

  function grabFrame() {
    return new Promise(function (resolve) {
      var width = preview.videoWidth;
      var height = preview.videoHeight;
      if (!width || !height) return resolve(null);
      var canvas = document.createElement('canvas');
      canvas.width = width;
      canvas.height = height;
      canvas.getContext('2d').drawImage(preview, 0, 0, width, height);
      canvas.toBlob(resolve, 'image/jpeg', 0.9);
    });
  }

  function setFiles(input, files) {
    try {
      var transfer = new DataTransfer();
      files.forEach(function (file) {
        transfer.items.add(file);
      });
      input.files = transfer.files;
      return input.files.length === files.length;
    } catch {
      return false;
    }
  }

  function record() {
    recordButton.disabled = true;
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: 'user', width: { ideal: 1280 } }, audio: true })
      .then(function (stream) {
        preview.srcObject = stream;
        var type = mimeType();
        var recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
        var chunks = [];
        var frames = [];
        recorder.ondataavailable = function (event) {
          if (event.data && event.data.size > 0) chunks.push(event.data);
        };
        recorder.onstop = function () {
          stream.getTracks().forEach(function (track) {
            track.stop();
          });
          var blobType = recorder.mimeType || type || 'video/webm';
          var extension = blobType.indexOf('mp4') >= 0 ? 'mp4' : 'webm';
          var video = new File([new Blob(chunks, { type: blobType })], 'video-selfie.' + extension, {
            type: blobType,
          });
          var frameFiles = frames
            .filter(Boolean)
            .slice(0, maxFrames)
            .map(function (blob, i) {
              return new File([blob], 'frame-' + (i + 1) + '.jpg', { type: 'image/jpeg' });
            });
          recorded = { video: video, frames: frameFiles };
          var inInputs = setFiles(fileInput('video'), [video]) && setFiles(fileInput('frames'), frameFiles);
          if (inInputs) recorded = null;
          if (uploads) uploads.hidden = true;
          recordButton.disabled = false;
          recordButton.textContent = 'Record again';
          say('Your video has been recorded. Select "Continue" to send it.');
        };
        var started = function () {
          recorder.start();
          say('Recording. Say the 4 numbers now.');
          // Frames spread over the recording, the first after the person has started speaking.
          for (var i = 0; i < frameCount; i++) {
            setTimeout(
              function () {
                grabFrame().then(function (blob) {
                  frames.push(blob);
                });
              },
              500 + (i * (RECORD_MS - 900)) / Math.max(1, frameCount - 1),
            );
          }
          setTimeout(function () {
            recorder.stop();
          }, RECORD_MS);
        };
        if (preview.readyState >= 2) started();
        else preview.onloadeddata = started;
      })
      .catch(function () {
        recordButton.disabled = false;
        say('We could not use your camera. Choose a video instead.');
        panel.hidden = true;
        if (uploads) uploads.hidden = false;
      });
  }

  recordButton.addEventListener('click', record);

  // Browsers that cannot fill a file input: send the recording with fetch.
  form.addEventListener('submit', function (event) {
    if (!recorded) return;
    event.preventDefault();
    var data = new FormData(form);
    data.delete('video');
    data.delete('frames');
    data.append('video', recorded.video);
    recorded.frames.forEach(function (frame) {
      data.append('frames', frame);
    });
    say('Sending your video.');
    fetch(form.action, { method: 'POST', body: data, credentials: 'same-origin' })
      .then(function (response) {
        if (response.redirected) window.location.assign(response.url);
        else
          return response.text().then(function (html) {
            document.open();
            document.write(html);
            document.close();
          });
      })
      .catch(function () {
        say('Sorry, your video could not be sent. Try again.');
      });
  });
})();
