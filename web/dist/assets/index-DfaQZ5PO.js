class L extends Error{constructor(t,n,r=[]){super(t),this.code=n,this.errors=r,this.name="ApiError"}code;errors}function me(e,t="UNKNOWN"){return e?.find(n=>typeof n.extensions?.code=="string")?.extensions?.code??t}function he(e){return e.map(t=>{const n=t.extensions?.code?`${t.extensions.code}: `:"",r=t.extensions?.field?` (${t.extensions.field})`:"";return n+t.message+r}).join("; ")}const ge=new URL("/query",location.href).toString(),Le=ge.replace(/^http/,"ws");async function U(e,t,...[n]){let r;try{r=await fetch(ge,{method:"POST",headers:{"Content-Type":"application/json",Accept:"application/graphql-response+json, application/json",Authorization:`Bearer ${e}`},body:JSON.stringify({query:t.toString(),variables:n??{}})})}catch(m){throw new L(`network error: ${String(m)}`,"NETWORK")}let a;try{a=await r.json()}catch{throw new L(`HTTP ${r.status}: not a GraphQL response`,"HTTP_"+r.status)}if(a.errors?.length)throw new L(he(a.errors),me(a.errors),a.errors);if(!a.data)throw new L(`HTTP ${r.status}: no data`,"HTTP_"+r.status);return a.data}function E(e){return e===null?"null":Array.isArray(e)?"array":typeof e}function C(e){return E(e)==="object"}function _e(e){return Array.isArray(e)&&e.length>0&&e.every(t=>"message"in t)}function fe(e,t){return e.length<124?e:t}const Ue="graphql-transport-ws";var S=(e=>(e[e.InternalServerError=4500]="InternalServerError",e[e.InternalClientError=4005]="InternalClientError",e[e.BadRequest=4400]="BadRequest",e[e.BadResponse=4004]="BadResponse",e[e.Unauthorized=4401]="Unauthorized",e[e.Forbidden=4403]="Forbidden",e[e.SubprotocolNotAcceptable=4406]="SubprotocolNotAcceptable",e[e.ConnectionInitialisationTimeout=4408]="ConnectionInitialisationTimeout",e[e.ConnectionAcknowledgementTimeout=4504]="ConnectionAcknowledgementTimeout",e[e.SubscriberAlreadyExists=4409]="SubscriberAlreadyExists",e[e.TooManyInitialisationRequests=4429]="TooManyInitialisationRequests",e))(S||{}),x=(e=>(e.ConnectionInit="connection_init",e.ConnectionAck="connection_ack",e.Ping="ping",e.Pong="pong",e.Subscribe="subscribe",e.Next="next",e.Error="error",e.Complete="complete",e))(x||{});function we(e){if(!C(e))throw new Error(`Message is expected to be an object, but got ${E(e)}`);if(!e.type)throw new Error("Message is missing the 'type' property");if(typeof e.type!="string")throw new Error(`Message is expects the 'type' property to be a string, but got ${E(e.type)}`);switch(e.type){case"connection_init":case"connection_ack":case"ping":case"pong":{if(e.payload!=null&&!C(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an object or nullish or missing, but got "${e.payload}"`);break}case"subscribe":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${E(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);if(!C(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an object, but got ${E(e.payload)}`);if(typeof e.payload.query!="string")throw new Error(`"${e.type}" message payload expects the 'query' property to be a string, but got ${E(e.payload.query)}`);if(e.payload.variables!=null&&!C(e.payload.variables))throw new Error(`"${e.type}" message payload expects the 'variables' property to be a an object or nullish or missing, but got ${E(e.payload.variables)}`);if(e.payload.operationName!=null&&E(e.payload.operationName)!=="string")throw new Error(`"${e.type}" message payload expects the 'operationName' property to be a string or nullish or missing, but got ${E(e.payload.operationName)}`);if(e.payload.extensions!=null&&!C(e.payload.extensions))throw new Error(`"${e.type}" message payload expects the 'extensions' property to be a an object or nullish or missing, but got ${E(e.payload.extensions)}`);break}case"next":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${E(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);if(!C(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an object, but got ${E(e.payload)}`);break}case"error":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${E(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);if(!_e(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an array of GraphQL errors, but got ${JSON.stringify(e.payload)}`);break}case"complete":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${E(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);break}default:throw new Error(`Invalid message 'type' property "${e.type}"`)}return e}function qe(e,t){return we(typeof e=="string"?JSON.parse(e,t):e)}function j(e,t){return we(e),JSON.stringify(e,t)}function Me(e){const{url:t,connectionParams:n,lazy:r=!0,onNonLazyError:a=console.error,lazyCloseTimeout:m=0,keepAlive:s=0,disablePong:v,connectionAckWaitTimeout:k=0,retryAttempts:ae=5,retryWait:Ce=async function(d){const o=Math.pow(2,d);await new Promise(l=>setTimeout(l,o*1e3+Math.floor(Math.random()*2700+300)))},shouldRetry:ve=ee,on:g,webSocketImpl:Y,generateID:Re=function(){return"xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g,d=>{const o=Math.random()*16|0;return(d=="x"?o:o&3|8).toString(16)})},jsonMessageReplacer:B,jsonMessageReviver:Oe}=e;let R;if(Y){if(!je(Y))throw new Error("Invalid WebSocket implementation provided");R=Y}else typeof WebSocket<"u"?R=WebSocket:typeof global<"u"?R=global.WebSocket||global.MozWebSocket:typeof window<"u"&&(R=window.WebSocket||window.MozWebSocket);if(!R)throw new Error("WebSocket implementation missing; on Node you can `import WebSocket from 'ws';` and pass `webSocketImpl: WebSocket` to `createClient`");const A=R,w=(()=>{const c=(()=>{const o={};return{on(l,p){return o[l]=p,()=>{delete o[l]}},emit(l){"id"in l&&o[l.id]?.(l)}}})(),d={connecting:g?.connecting?[g.connecting]:[],opened:g?.opened?[g.opened]:[],connected:g?.connected?[g.connected]:[],ping:g?.ping?[g.ping]:[],pong:g?.pong?[g.pong]:[],message:g?.message?[c.emit,g.message]:[c.emit],closed:g?.closed?[g.closed]:[],error:g?.error?[g.error]:[]};return{onMessage:c.on,on(o,l){const p=d[o];return p.push(l),()=>{const f=p.indexOf(l);f>-1&&p.splice(f,1)}},emit(o,...l){for(const p of[...d[o]])p(...l)}}})();function X(c){const d=[w.on("error",o=>{d.forEach(l=>l()),c(o)}),w.on("closed",o=>{d.forEach(l=>l()),c(o)})];return()=>d.forEach(o=>o())}let N,T=0,Z,W=!1,z=0,ce=!1;async function ue(){clearTimeout(Z);const[c,d]=await(N??(N=new Promise((p,f)=>(async()=>{if(W){if(await Ce(z),!T)return N=void 0,f({code:1e3,reason:"All Subscriptions Gone"});z++}w.emit("connecting",W);const u=new A(typeof t=="function"?await t():t,Ue);let P,O;function G(){isFinite(s)&&s>0&&(clearTimeout(O),O=setTimeout(()=>{u.readyState===A.OPEN&&(u.send(j({type:x.Ping})),w.emit("ping",!1,void 0))},s))}X(b=>{N=void 0,clearTimeout(P),clearTimeout(O),f(b),b instanceof ye&&(u.close(4499,"Terminated"),u.onerror=null,u.onclose=null)}),u.onerror=b=>w.emit("error",b),u.onclose=b=>w.emit("closed",b),u.onopen=async()=>{try{w.emit("opened",u);const b=typeof n=="function"?await n():n;if(u.readyState!==A.OPEN)return;u.send(j(b?{type:x.ConnectionInit,payload:b}:{type:x.ConnectionInit},B)),isFinite(k)&&k>0&&(P=setTimeout(()=>{u.close(S.ConnectionAcknowledgementTimeout,"Connection acknowledgement timeout")},k)),G()}catch(b){w.emit("error",b),u.close(S.InternalClientError,fe(b instanceof Error?b.message:String(b),"Internal client error"))}};let D=!1;u.onmessage=({data:b})=>{try{const h=qe(b,Oe);if(w.emit("message",h),h.type==="ping"||h.type==="pong"){w.emit(h.type,!0,h.payload),h.type==="pong"?G():v||(u.send(j(h.payload?{type:x.Pong,payload:h.payload}:{type:x.Pong},B)),w.emit("pong",!1,h.payload));return}if(D)return;if(h.type!==x.ConnectionAck)throw new Error(`First message cannot be of type ${h.type}`);clearTimeout(P),D=!0,w.emit("connected",u,h.payload,W),W=!1,z=0;const pe=new Promise((lt,De)=>X(De));pe.catch(()=>{}),p([u,pe])}catch(h){u.onmessage=null,w.emit("error",h),u.close(S.BadResponse,fe(h instanceof Error?h.message:String(h),"Bad response"))}}})())));c.readyState===A.CLOSING&&await d;let o=()=>{};const l=new Promise(p=>o=p);return[c,o,new Promise((p,f)=>{const u=X(f);c.readyState!==A.OPEN&&d.catch(f),l.then(()=>{if(u(),!T){const P=()=>c.close(1e3,"Normal Closure");isFinite(m)&&m>0?(clearTimeout(Z),Z=setTimeout(()=>{!T&&c.readyState===A.OPEN&&P()},m)):P()}p()})})]}function le(c){if(ee(c)&&(We(c.code)||[S.InternalServerError,S.InternalClientError,S.BadRequest,S.BadResponse,S.Unauthorized,S.SubprotocolNotAcceptable,S.SubscriberAlreadyExists,S.TooManyInitialisationRequests].includes(c.code)))throw c;if(ce)return!1;if(ee(c)&&c.code===1e3)return T>0;if(!ae||z>=ae||!ve(c))throw c;return W=!0}r||(async()=>{for(T++;;)try{const[,,c]=await ue();await c}catch(c){try{if(!le(c))return}catch(d){return a?.(d)}}})();function de(c,d){const o=Re(c);let l=!1,p=!1,f=()=>{T--,l=!0};return(async()=>{for(T++;;)try{const[u,P,O]=await ue();if(l)return O.catch(()=>{}),P();const G=w.onMessage(o,D=>{switch(D.type){case x.Next:{d.next(D.payload);return}case x.Error:{p=!0,l=!0,d.error(D.payload),f();return}case x.Complete:{l=!0,f();return}}});u.send(j({id:o,type:x.Subscribe,payload:c},B)),f=()=>{!l&&u.readyState===A.OPEN&&u.send(j({id:o,type:x.Complete},B)),T--,l=!0,P()},await O.finally(G);return}catch(u){if(!le(u))return}})().then(()=>{p||d.complete()}).catch(u=>{d.error(u)}),()=>{l||f()}}return{on:w.on,subscribe:de,iterate(c){const d=[],o={done:!1,error:null,resolve:()=>{}},l=de(c,{next(f){d.push(f),o.resolve()},error(f){o.done=!0,o.error=f,o.resolve()},complete(){o.done=!0,o.resolve()}}),p=(async function*(){for(;;){for(d.length||await new Promise(u=>o.resolve=u);d.length;)yield d.shift();if(o.error)throw o.error;if(o.done)return}})();return p.throw=async f=>(o.done||(o.done=!0,o.error=f,o.resolve()),{done:!0,value:void 0}),p.return=async()=>(l(),{done:!0,value:void 0}),p},async dispose(){if(ce=!0,N){const[c]=await N;c.close(1e3,"Normal Closure")}},terminate(){N&&w.emit("closed",new ye)}}}class ye extends Error{name="TerminatedCloseEvent";message="4499: Terminated";code=4499;reason="Terminated";wasClean=!1}function ee(e){return C(e)&&"code"in e&&"reason"in e}function We(e){return[1e3,1001,1006,1005,1012,1013,1014].includes(e)?!1:e>=1e3&&e<=1999}function je(e){return typeof e=="function"&&"constructor"in e&&"CLOSED"in e&&"CLOSING"in e&&"CONNECTING"in e&&"OPEN"in e}class q extends String{__apiType;value;__meta__;constructor(t,n){super(t),this.value=t,this.__meta__=n}toString(){return this.value}}const Fe=new q(`
    query Viewer {
  viewer {
    id
    role
  }
}
    `),Be=new q(`
    mutation CreatePulse($input: CreatePulseInput!) {
  createPulse(input: $input) {
    pulse {
      id
      title
      createdAt
    }
    event {
      id
      cursor
    }
  }
}
    `),ze=new q(`
    mutation RespondToPulse($input: RespondToPulseInput!) {
  respondToPulse(input: $input) {
    response {
      id
      answer
      confidence
      createdAt
    }
  }
}
    `),Ge=new q(`
    mutation ClosePulse($input: ClosePulseInput!) {
  closePulse(input: $input) {
    pulse {
      id
      closedAt
    }
  }
}
    `),He=new q(`
    query Pulse($id: UUID!) {
  pulse(id: $id) {
    id
    title
    closedAt
    responseCount
    events(first: 1) {
      edges {
        cursor
      }
    }
  }
}
    `),be=new q(`
    subscription PulseEvents($pulseId: UUID!, $after: String) {
  pulseEvents(pulseId: $pulseId, after: $after) {
    id
    cursor
    version
    type
    occurredAt
    payload {
      __typename
      ... on LearningPulseResponded {
        studentId
        responseId
        response {
          id
          answer
          confidence
          createdAt
        }
      }
    }
  }
}
    `),te=4403,Qe=4408;function F(e){return typeof e=="object"&&e!==null&&"code"in e&&typeof e.code=="number"}const Je=e=>new Promise(t=>setTimeout(t,e));function Ve(e,t){let n=0,r,a;const m=Me({url:Le,connectionParams:()=>({Authorization:`Bearer ${e()}`}),lazy:!0,lazyCloseTimeout:3e3,retryAttempts:1/0,shouldRetry:s=>!(F(s)&&s.code===te),retryWait:async s=>{await Je(Math.min(300*2**s,3e3)+Math.random()*300)},keepAlive:1e4,on:{connecting:s=>t.onState(s?"reconnecting":"connecting"),connected:(s,v,k)=>{k&&n++,t.onState("live")},ping:s=>{s||(clearTimeout(r),r=setTimeout(()=>{a?.readyState===WebSocket.OPEN&&a.close(Qe,"pong timeout")},5e3))},pong:s=>{s&&clearTimeout(r)},opened:s=>{a=s},closed:s=>{if(clearTimeout(r),a=void 0,F(s)&&s.code===te)t.onState("rejected","the server refused the token (4403): get a new one");else if(F(s)&&s.code===1e3)t.onState("idle");else{const v=F(s)?` (${s.code})`:"";t.onState("reconnecting",`connection lost${v}`)}}}});return{client:m,get reconnects(){return n},dispose:()=>{m.dispose()}}}class Ke{constructor(t,n,r,a){this.client=t,this.pulseId=n,this.handlers=a,this.cursor=r}client;pulseId;handlers;seen=new Set;cursor;variables;unsubscribe;stopped=!1;repeatsDropped=0;slowConsumerRestarts=0;get lastCursor(){return this.cursor}start(){this.stopped=!1;const t={pulseId:this.pulseId,after:this.cursor};this.variables=t,this.unsubscribe=this.client.subscribe({query:be.toString(),variables:t},{next:n=>{if(n.errors?.length){this.fail(n.errors);return}n.data&&this.accept(n.data.pulseEvents)},error:n=>{if(Array.isArray(n))this.fail(n);else if(F(n)){const r=n.code===te?"FORBIDDEN":`CLOSE_${n.code}`;this.handlers.onError(`connection closed (${n.code}${n.reason?": "+n.reason:""})`,r)}else this.handlers.onError(String(n),"UNKNOWN")},complete:()=>{}})}stop(){this.stopped=!0,this.unsubscribe?.(),this.unsubscribe=void 0}accept(t){if(this.seen.has(t.id)){this.repeatsDropped++;return}this.seen.add(t.id),this.cursor=t.cursor,this.variables&&(this.variables.after=t.cursor),this.handlers.onEvent(t)}fail(t){const n=me(t);if(n==="SLOW_CONSUMER"&&!this.stopped){const r=t.find(a=>a.extensions?.code==="SLOW_CONSUMER")?.extensions?.lastCursor;typeof r=="string"&&r!==""&&(this.cursor=r),this.slowConsumerRestarts++,this.unsubscribe=void 0,this.start();return}this.handlers.onError(he(t),n)}}const Ye={"\n  query Viewer {\n    viewer {\n      id\n      role\n    }\n  }\n":Fe,"\n  mutation CreatePulse($input: CreatePulseInput!) {\n    createPulse(input: $input) {\n      pulse {\n        id\n        title\n        createdAt\n      }\n      event {\n        id\n        cursor\n      }\n    }\n  }\n":Be,"\n  mutation RespondToPulse($input: RespondToPulseInput!) {\n    respondToPulse(input: $input) {\n      response {\n        id\n        answer\n        confidence\n        createdAt\n      }\n    }\n  }\n":ze,"\n  mutation ClosePulse($input: ClosePulseInput!) {\n    closePulse(input: $input) {\n      pulse {\n        id\n        closedAt\n      }\n    }\n  }\n":Ge,"\n  query Pulse($id: UUID!) {\n    pulse(id: $id) {\n      id\n      title\n      closedAt\n      responseCount\n      events(first: 1) {\n        edges {\n          cursor\n        }\n      }\n    }\n  }\n":He,"\n  subscription PulseEvents($pulseId: UUID!, $after: String) {\n    pulseEvents(pulseId: $pulseId, after: $after) {\n      id\n      cursor\n      version\n      type\n      occurredAt\n      payload {\n        __typename\n        ... on LearningPulseResponded {\n          studentId\n          responseId\n          response {\n            id\n            answer\n            confidence\n            createdAt\n          }\n        }\n      }\n    }\n  }\n":be};function M(e){return Ye[e]??{}}const Xe=M(`
  query Viewer {
    viewer {
      id
      role
    }
  }
`),Ze=M(`
  mutation CreatePulse($input: CreatePulseInput!) {
    createPulse(input: $input) {
      pulse {
        id
        title
        createdAt
      }
      event {
        id
        cursor
      }
    }
  }
`),et=M(`
  mutation RespondToPulse($input: RespondToPulseInput!) {
    respondToPulse(input: $input) {
      response {
        id
        answer
        confidence
        createdAt
      }
    }
  }
`),tt=M(`
  mutation ClosePulse($input: ClosePulseInput!) {
    closePulse(input: $input) {
      pulse {
        id
        closedAt
      }
    }
  }
`),Ee=M(`
  query Pulse($id: UUID!) {
    pulse(id: $id) {
      id
      title
      closedAt
      responseCount
      events(first: 1) {
        edges {
          cursor
        }
      }
    }
  }
`);M(`
  subscription PulseEvents($pulseId: UUID!, $after: String) {
    pulseEvents(pulseId: $pulseId, after: $after) {
      id
      cursor
      version
      type
      occurredAt
      payload {
        __typename
        ... on LearningPulseResponded {
          studentId
          responseId
          response {
            id
            answer
            confidence
            createdAt
          }
        }
      }
    }
  }
`);const ne="edupulse.token";function K(){return new URLSearchParams(location.hash.replace(/^#/,""))}function re(e){const t=e.toString();history.replaceState(null,"",location.pathname+location.search+(t?"#"+t:""))}function nt(){const e=K(),t=e.get("token")?.trim();return t?(e.delete("token"),re(e),Se(t),t):sessionStorage.getItem(ne)??""}function Se(e){e?sessionStorage.setItem(ne,e):sessionStorage.removeItem(ne)}function xe(e){const t=e.split(".")[1];if(!t)return null;try{const n=atob(t.replace(/-/g,"+").replace(/_/g,"/").padEnd(Math.ceil(t.length/4)*4,"=")),r=JSON.parse(n);return typeof r=="object"&&r!==null?r:null}catch{return null}}async function rt(){try{const e=await fetch(new URL("dev-tokens.json",location.origin+"/app/"),{cache:"no-store"});if(!e.ok)return[];const t=await e.json();return Array.isArray(t)?t.filter(n=>typeof n?.role=="string"&&typeof n?.token=="string"):[]}catch{return[]}}function i(e){const t=document.getElementById(e);if(!t)throw new Error(`#${e} missing`);return t}function Q(e,t={},...n){const r=document.createElement(e);for(const[a,m]of Object.entries(t))r.setAttribute(a,m);return r.append(...n),r}const H=i("status"),oe=i("token-input");let y=nt(),I,$;const ot={idle:"not subscribed",connecting:"connecting…",live:"live",reconnecting:"reconnecting…",rejected:"token refused"};function se(e,t){H.dataset.state=e,H.textContent=ot[e],H.title=t??"",H.dataset.reconnects=String(I?.reconnects??0),Te()}function st(){if(!I){const e=Ve(()=>y,{onState:(t,n)=>{I===e&&se(t,n)}});I=e}return I}async function J(e,t=!0){y=e.trim(),Se(y),oe.value=y;const n=$;$?.stop(),$=void 0,I?.dispose(),I=void 0,se("idle");const r=i("whoami");if(!y){r.textContent="No token yet.";return}const a=xe(y),m=a?.role?.toLowerCase();t&&m==="student"?V("student"):t&&(m==="teacher"||m==="admin")&&V("teacher");try{const{viewer:s}=await U(y,Xe);r.textContent=`Signed in as ${s.role.toLowerCase()} ${s.id}`+(a?.exp?` · token valid until ${new Date(a.exp*1e3).toLocaleString()}`:""),r.className="muted",n&&s.role!=="STUDENT"&&ie(n.pulseId)}catch(s){r.textContent=s instanceof L&&s.code==="UNAUTHENTICATED"?"The server refused this token (expired, or signed with another secret): get a new one.":`Could not check the token: ${String(s instanceof Error?s.message:s)}`,r.className="error"}}i("token-form").addEventListener("submit",e=>{e.preventDefault(),J(oe.value)});async function it(){const e=await rt();if(!e.length)return;const t=i("dev-tokens");for(const n of e){const r=Q("button",{type:"button","data-testid":`dev-token-${n.role}`},`Use ${n.role} token`);r.addEventListener("click",()=>{J(n.token)}),t.append(r)}t.hidden=!1,y||await J(e[0].token)}function V(e){i("teacher-view").hidden=e!=="teacher",i("student-view").hidden=e!=="student";for(const n of document.querySelectorAll(".tabs button"))n.setAttribute("aria-pressed",String(n.dataset.view===e));const t=K();t.set("view",e),re(t)}for(const e of document.querySelectorAll(".tabs button"))e.addEventListener("click",()=>V(e.dataset.view));const $e=i("answers");let Pe=0;function _(e){i("teacher-error").textContent=e}function Te(){const e=i("feed-info");if(!$){e.textContent="";return}const t=I?.reconnects??0;e.dataset.reconnects=String(t),e.dataset.repeats=String($.repeatsDropped),e.textContent=t?`reconnected ${t}× and resumed from the last event seen`:""}function Ie(e){Pe=e,i("answer-count").textContent=String(e),i("answer-label").textContent=e===1?"answer":"answers",i("empty-hint").hidden=e>0}function at(e){const t=e.payload;if(t.__typename==="LearningPulseResponded"){const n=t.response,r=[`student ${t.studentId.slice(0,8)}`];n?.confidence&&r.push(`confidence ${n.confidence}/5`),n&&r.push(new Date(n.createdAt).toLocaleTimeString()),$e.append(Q("li",{"data-testid":"answer","data-event-id":e.id,"data-version":String(e.version)},Q("span",{class:"answer-text"},n?n.answer:"(answer not visible to you)"),Q("span",{class:"muted"},r.join(" · ")))),Ie(Pe+1)}else e.type==="LEARNING_PULSE_CLOSED"&&ke();Te()}function ke(){const e=i("close-pulse");e.disabled=!0,e.textContent="Closed",i("pulse-card").dataset.closed="true"}function Ae(e,t,n,r){$?.stop(),_(""),$e.replaceChildren(),Ie(0),i("pulse-title-view").textContent=t,i("pulse-id").textContent=e,i("student-link").href=`#view=student&pulse=${encodeURIComponent(e)}`;const a=i("pulse-card");a.hidden=!1,delete a.dataset.closed;const m=i("close-pulse");m.disabled=!1,m.textContent="Close pulse",r&&ke();const s=K();s.set("pulse",e),re(s),$=new Ke(st().client,e,n,{onEvent:at,onError:(v,k)=>{_(k==="FORBIDDEN"?"The server refused the token: paste a new one and watch again.":v)}}),$.start()}async function ie(e){try{const{pulse:t}=await U(y,Ee,{id:e});if(!t){_("No such pulse (or not visible to you).");return}Ae(t.id,t.title,t.events.edges[0]?.cursor??null,t.closedAt!=null)}catch(t){_(t instanceof Error?t.message:String(t))}}i("create-form").addEventListener("submit",e=>{e.preventDefault(),(async()=>{const t=i("pulse-title").value;try{const{createPulse:n}=await U(y,Ze,{input:{title:t}});Ae(n.pulse.id,n.pulse.title,n.event.cursor,!1)}catch(n){_(n instanceof Error?n.message:String(n))}})()});i("watch-form").addEventListener("submit",e=>{e.preventDefault();const t=i("watch-id").value.trim();t&&ie(t)});i("close-pulse").addEventListener("click",()=>{if(!$)return;const e=$.pulseId;U(y,tt,{input:{pulseId:e}}).catch(t=>_(t instanceof Error?t.message:String(t)))});const ct={CONFLICT:"Not recorded: you have already answered this pulse, or it is closed.",NOT_FOUND:"Not recorded: there is no such pulse.",FORBIDDEN:"Not recorded: only a student token can answer a pulse.",UNAUTHENTICATED:"Not recorded: the server refused the token; get a new one.",RATE_LIMITED:"Not recorded: too many requests; try again in a moment."};async function Ne(){const e=i("answer-pulse").value.trim(),t=i("answer-pulse-title");if(t.textContent="",!(!e||!y))try{const{pulse:n}=await U(y,Ee,{id:e});t.textContent=n?`“${n.title}”${n.closedAt?" (closed)":""}`:"No such pulse."}catch{}}i("answer-pulse").addEventListener("change",()=>{Ne()});i("answer-form").addEventListener("submit",e=>{e.preventDefault(),(async()=>{const t=i("answer-result"),n=i("student-error");t.textContent="",n.textContent="";const r=i("answer-confidence").value;try{const{respondToPulse:a}=await U(y,et,{input:{pulseId:i("answer-pulse").value.trim(),answer:i("answer-text").value,confidence:r?Number(r):null}});t.textContent=`Answer recorded at ${new Date(a.response.createdAt).toLocaleTimeString()}.`,i("answer-text").value=""}catch(a){n.textContent=a instanceof L?(ct[a.code]??a.message)+(a.code==="BAD_USER_INPUT"?` (${a.message})`:""):String(a)}})()});function ut(){const e=K(),t=e.get("pulse");t&&(i("answer-pulse").value=t,i("watch-id").value=t),V(e.get("view")==="student"?"student":"teacher"),oe.value=y,se("idle"),(async()=>{y&&await J(y,!e.has("view")),await it();const n=xe(y);t&&y&&n?.role!=="student"&&e.get("view")!=="student"?await ie(t):t&&Ne()})()}ut();
